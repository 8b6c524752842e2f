// The wallet ledger rules as pure functions: given an account's state and an operation,
// decide whether it applies (and to what), answers an earlier result again (op_id replay),
// changes nothing, or is refused. The wallet actor is the only caller that acts on a
// decision: it commits applied ones (compare-and-set on the account's version) and
// answers each caller only after the commit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/result.hpp"
#include "storage/wallet.hpp"

namespace unipay {

// Amounts are integers in [1, 2^53 - 1] (DESIGN §6), so JSON clients read them exactly.
inline constexpr int64_t kMaxAmountMinor = (int64_t{1} << 53) - 1;
inline constexpr int64_t kMinHoldTtlS = 1;
inline constexpr int64_t kMaxHoldTtlS = 7 * 86400;
inline constexpr size_t kMaxOpIdBytes = 128;
inline constexpr size_t kMaxUnitBytes = 16;

bool valid_unit(std::string_view unit);    // [A-Z0-9_]{1,16}
bool valid_op_id(std::string_view op_id);  // 1..128 visible ASCII (0x21..0x7E)
bool valid_amount(int64_t amount_minor);   // [1, 2^53 - 1]

enum class LedgerOpKind {
  credit,    // + amount (frozen accounts too)
  debit,     // - amount, at most the available balance
  recharge,  // + amount from a paid recharge bill (a credit with its own kind)
  refund,    // - amount: takes back a refunded recharge; like a debit, but frozen accounts too
  hold,      // reserves amount for ttl_s seconds
  capture,   // takes a hold (all of it, or part: the rest is released)
  void_hold,
  expire_hold,  // internal: a hold's expires_at passed (timer or sweep)
  freeze,       // admin
  unfreeze,     // admin
};
// "credit", "debit", "recharge", "refund", "hold", "capture", "void", "expire", "freeze", "unfreeze".
std::string_view to_string(LedgerOpKind kind);
// Whether the operation carries an op_id and records its result for replays (credit to
// void); expire, freeze and unfreeze carry none (they are idempotent by themselves).
bool records_op_id(LedgerOpKind kind);

struct LedgerOp {
  LedgerOpKind kind = LedgerOpKind::credit;
  std::string op_id;
  int64_t amount_minor = 0;  // credit, debit, recharge, refund, hold; capture: 0 = the whole hold
  int64_t ttl_s = 0;         // hold
  std::string hold_id;    // hold: the new hold's id (made by the caller); capture, void, expire: the target
  std::string reason;     // entries: the caller's reason text
  std::string info_json;  // entries: the caller's JSON text, "" for none
};

// The canonical parameters of an operation on an account (kind, account, and what the
// kind reads, each length-prefixed), as lowercase hex SHA-256. A hold's own new hold_id is
// not a parameter: a retried hold request gets a fresh id from the caller.
std::string op_fingerprint(const std::string& account_id, const LedgerOp& op);

enum class OpIdCheck { fresh, replay, conflict };
// Same op_id with the same fingerprint answers the first result again; another
// fingerprint (other parameters, another account, another kind) is a conflict.
OpIdCheck check_op_id(const OpRecord* stored, std::string_view fingerprint);

// The account as its actor holds it. Every active hold of the account is in `holds` (so
// held_minor is their sum); terminal holds only when the caller looked them up. A capture
// or void of a hold that is not here is not_found, so before deciding one, the caller
// loads the hold named by the request when it is not among the active ones.
struct AccountState {
  Account account;
  std::map<std::string, Hold> holds;  // by hold_id; at most LedgerLimits::max_active_holds active
};

struct LedgerLimits {
  size_t max_active_holds = 1000;  // per account; one more hold is refused with busy
};

enum class LedgerVerdict {
  apply,      // commit: compare-and-set on expected_version, then answer result
  unchanged,  // answer result; nothing to commit (freeze of a frozen account, ...)
  replay,     // answer the op_id's first result (result) again; nothing to commit
  refuse,     // answer result.error; nothing changed
};

struct LedgerDecision {
  LedgerVerdict verdict = LedgerVerdict::refuse;
  // The answer. For apply: the account after (version = expected_version + 1), the entry
  // (entry_id 0 until committed) and the hold made or changed; error set when the applied
  // change is not what was asked (a capture that found its hold expired).
  OpResult result;
  int64_t expected_version = 0;    // apply: the version the commit compares against
  bool hold_created = false;       // apply: result.hold is new (insert) rather than changed
  std::optional<OpRecord> record;  // apply with an op_id: stored for replays
};

// Creating an account: apply (a new account, version 1, expected_version 0: an insert),
// unchanged when it exists with that unit, refuse with conflict when it exists with
// another, invalid_parameter for a bad unit.
LedgerDecision decide_create(const std::optional<Account>& existing, const Account& wanted);

// Decides one operation against the account's state at `now`. `stored` is the record the
// caller found for op.op_id (from its cache or the database), or null when none.
LedgerDecision decide(const AccountState& state, const LedgerOp& op, const OpRecord* stored, Millis now,
                      const LedgerLimits& limits);

// Applies an applied decision to the state (asserting every invariant); other verdicts
// leave it as it is.
void apply(AccountState& state, const LedgerDecision& decision);

// Asserts the account invariants: 0 <= held <= balance, held = sum of the active holds,
// each hold's amounts in range.
void check_invariants(const AccountState& state);

struct BatchItem {
  LedgerOp op;
  std::optional<OpRecord> stored;  // what the caller found for op.op_id
};
// Decides the operations waiting for one account in order, each against the state the
// ones before it left, and advances `state` by every applied one, so the actor can commit
// them together (their expected versions follow each other) and answer each after the
// commit. An op_id seen earlier in the same batch replays (or conflicts with) that one.
// Refusals depend on the earlier decisions too: if the commit fails, decide them again.
std::vector<LedgerDecision> decide_batch(AccountState& state, const std::vector<BatchItem>& items, Millis now,
                                         const LedgerLimits& limits);

// Active holds whose expires_at <= now, and the earliest expires_at among active holds
// (for the actor's timer).
std::vector<std::string> due_holds(const AccountState& state, Millis now);
std::optional<Millis> next_expiry(const AccountState& state);

}  // namespace unipay
