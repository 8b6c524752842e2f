// See ledger_rules.hpp. Invariants are asserted where they are established (a programmer
// error here would lose or invent money, so it must stop the process, not go on).
#include "actors/ledger_rules.hpp"

#include <cassert>
#include <limits>

#include "net/crypto.hpp"

namespace unipay {
namespace {

LedgerDecision refusing(const AccountState& state, Errc code, std::string message) {
  LedgerDecision d;
  d.verdict = LedgerVerdict::refuse;
  d.result.error = code;
  d.result.error_message = std::move(message);
  d.result.account = state.account;
  return d;
}

LedgerDecision unchanged(const AccountState& state, std::optional<Hold> hold = std::nullopt) {
  LedgerDecision d;
  d.verdict = LedgerVerdict::unchanged;
  d.result.account = state.account;
  d.result.hold = std::move(hold);
  return d;
}

// An applied change starting from the current account: version + 1, updated now.
LedgerDecision applying(const AccountState& state, Millis now) {
  LedgerDecision d;
  d.verdict = LedgerVerdict::apply;
  d.expected_version = state.account.version;
  d.result.account = state.account;
  d.result.account.version = state.account.version + 1;
  d.result.account.updated_at = now;
  return d;
}

// Adds a ledger entry of `amount` (signed) to an applying decision.
void add_entry(LedgerDecision& d, const LedgerOp& op, EntryKind kind, int64_t amount, Millis now) {
  Account& a = d.result.account;
  LedgerEntry e;
  e.app_id = a.app_id;
  e.account_id = a.account_id;
  e.op_id = op.op_id;
  e.kind = kind;
  e.amount_minor = amount;
  e.balance_before_minor = a.balance_minor;
  e.balance_after_minor = a.balance_minor + amount;
  e.hold_id = kind == EntryKind::capture ? op.hold_id : "";
  e.reason = op.reason;
  e.info_json = op.info_json;
  e.created_at = now;
  a.balance_minor = e.balance_after_minor;
  d.result.entry = std::move(e);
}

std::string amount_text(int64_t amount) { return std::to_string(amount); }

LedgerDecision on_add(const AccountState& state, const LedgerOp& op, EntryKind kind, Millis now) {
  if (!valid_amount(op.amount_minor)) return refusing(state, Errc::invalid_parameter, "amount out of range");
  if (state.account.balance_minor > std::numeric_limits<int64_t>::max() - op.amount_minor) {
    return refusing(state, Errc::invalid_parameter, "the balance would overflow");
  }
  LedgerDecision d = applying(state, now);
  add_entry(d, op, kind, op.amount_minor, now);
  return d;
}

LedgerDecision on_take(const AccountState& state, const LedgerOp& op, EntryKind kind, Millis now) {
  if (!valid_amount(op.amount_minor)) return refusing(state, Errc::invalid_parameter, "amount out of range");
  // A refund takes back a refunded recharge: it is not spending, so a freeze (often the
  // same fraud case) does not stop it.
  if (state.account.frozen && kind == EntryKind::debit) {
    return refusing(state, Errc::account_frozen, "the account is frozen");
  }
  if (op.amount_minor > state.account.available_minor()) {
    return refusing(state, Errc::insufficient_balance,
                    "available " + amount_text(state.account.available_minor()) + ", asked " +
                        amount_text(op.amount_minor));
  }
  LedgerDecision d = applying(state, now);
  add_entry(d, op, kind, -op.amount_minor, now);
  return d;
}

size_t active_holds(const AccountState& state) {
  size_t n = 0;
  for (const auto& [id, hold] : state.holds) n += hold.state == HoldState::active;
  return n;
}

LedgerDecision on_hold(const AccountState& state, const LedgerOp& op, Millis now,
                       const LedgerLimits& limits) {
  assert(!op.hold_id.empty() && !state.holds.count(op.hold_id) && "the caller makes a fresh hold id");
  if (!valid_amount(op.amount_minor)) return refusing(state, Errc::invalid_parameter, "amount out of range");
  if (op.ttl_s < kMinHoldTtlS || op.ttl_s > kMaxHoldTtlS) {
    return refusing(state, Errc::invalid_parameter, "ttl_seconds must be in [1, 604800]");
  }
  if (state.account.frozen) return refusing(state, Errc::account_frozen, "the account is frozen");
  if (op.amount_minor > state.account.available_minor()) {
    return refusing(state, Errc::insufficient_balance,
                    "available " + amount_text(state.account.available_minor()) + ", asked " +
                        amount_text(op.amount_minor));
  }
  if (active_holds(state) >= limits.max_active_holds) {
    return refusing(state, Errc::busy, "too many active holds on this account; capture or void some");
  }
  LedgerDecision d = applying(state, now);
  d.result.account.held_minor += op.amount_minor;
  Hold h;
  h.hold_id = op.hold_id;
  h.app_id = state.account.app_id;
  h.account_id = state.account.account_id;
  h.op_id = op.op_id;
  h.amount_minor = op.amount_minor;
  h.state = HoldState::active;
  h.expires_at = now + std::chrono::seconds{op.ttl_s};
  h.created_at = now;
  h.updated_at = now;
  d.result.hold = std::move(h);
  d.hold_created = true;
  return d;
}

// Ends an active hold without taking funds: its amount is no longer held.
LedgerDecision releasing(const AccountState& state, const Hold& hold, HoldState to, Millis now) {
  assert(hold.state == HoldState::active);
  LedgerDecision d = applying(state, now);
  d.result.account.held_minor -= hold.amount_minor;
  Hold after = hold;
  after.state = to;
  after.updated_at = now;
  d.result.hold = std::move(after);
  return d;
}

const Hold* find_hold(const AccountState& state, const std::string& hold_id) {
  auto it = state.holds.find(hold_id);
  return it == state.holds.end() ? nullptr : &it->second;
}

LedgerDecision not_active(const AccountState& state, const Hold& hold) {
  return refusing(state, Errc::conflict, "the hold is " + std::string(to_string(hold.state)));
}

LedgerDecision on_capture(const AccountState& state, const LedgerOp& op, Millis now) {
  if (op.amount_minor != 0 && !valid_amount(op.amount_minor)) {
    return refusing(state, Errc::invalid_parameter, "amount out of range");
  }
  const Hold* hold = find_hold(state, op.hold_id);
  if (!hold) return refusing(state, Errc::not_found, "no such hold");
  if (hold->state != HoldState::active) return not_active(state, *hold);
  if (now >= hold->expires_at) {
    // Never captured late: the hold expires now and the capture is refused.
    LedgerDecision d = releasing(state, *hold, HoldState::expired, now);
    d.result.error = Errc::conflict;
    d.result.error_message = "the hold expired";
    return d;
  }
  if (state.account.frozen) return refusing(state, Errc::account_frozen, "the account is frozen");
  const int64_t take = op.amount_minor == 0 ? hold->amount_minor : op.amount_minor;
  if (take > hold->amount_minor) {
    return refusing(state, Errc::invalid_parameter, "capture amount exceeds the hold");
  }
  LedgerDecision d = releasing(state, *hold, HoldState::captured, now);
  d.result.hold->captured_minor = take;
  add_entry(d, op, EntryKind::capture, -take, now);
  return d;
}

LedgerDecision on_void(const AccountState& state, const LedgerOp& op, Millis now) {
  const Hold* hold = find_hold(state, op.hold_id);
  if (!hold) return refusing(state, Errc::not_found, "no such hold");
  if (hold->state != HoldState::active) return not_active(state, *hold);
  return releasing(state, *hold, HoldState::voided, now);
}

LedgerDecision on_expire(const AccountState& state, const LedgerOp& op, Millis now) {
  const Hold* hold = find_hold(state, op.hold_id);
  if (!hold) return refusing(state, Errc::not_found, "no such hold");
  if (hold->state != HoldState::active) return unchanged(state, *hold);
  if (now < hold->expires_at) return refusing(state, Errc::conflict, "the hold is not due");
  return releasing(state, *hold, HoldState::expired, now);
}

LedgerDecision on_freeze(const AccountState& state, bool frozen, Millis now) {
  if (state.account.frozen == frozen) return unchanged(state);
  LedgerDecision d = applying(state, now);
  d.result.account.frozen = frozen;
  return d;
}

LedgerDecision decide_fresh(const AccountState& state, const LedgerOp& op, Millis now,
                            const LedgerLimits& limits) {
  switch (op.kind) {
    case LedgerOpKind::credit:
      return on_add(state, op, EntryKind::credit, now);
    case LedgerOpKind::recharge:
      return on_add(state, op, EntryKind::recharge, now);
    case LedgerOpKind::debit:
      return on_take(state, op, EntryKind::debit, now);
    case LedgerOpKind::refund:
      return on_take(state, op, EntryKind::refund, now);
    case LedgerOpKind::hold:
      return on_hold(state, op, now, limits);
    case LedgerOpKind::capture:
      return on_capture(state, op, now);
    case LedgerOpKind::void_hold:
      return on_void(state, op, now);
    case LedgerOpKind::expire_hold:
      return on_expire(state, op, now);
    case LedgerOpKind::freeze:
      return on_freeze(state, true, now);
    case LedgerOpKind::unfreeze:
      return on_freeze(state, false, now);
  }
  return refusing(state, Errc::invalid_parameter, "unknown operation");
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ':';
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += '\n';
}

}  // namespace

bool valid_unit(std::string_view unit) {
  if (unit.empty() || unit.size() > kMaxUnitBytes) return false;
  for (char c : unit) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool valid_op_id(std::string_view op_id) {
  if (op_id.empty() || op_id.size() > kMaxOpIdBytes) return false;
  for (char c : op_id) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

bool valid_amount(int64_t amount_minor) { return amount_minor >= 1 && amount_minor <= kMaxAmountMinor; }

std::string_view to_string(LedgerOpKind kind) {
  switch (kind) {
    case LedgerOpKind::credit:
      return "credit";
    case LedgerOpKind::debit:
      return "debit";
    case LedgerOpKind::recharge:
      return "recharge";
    case LedgerOpKind::refund:
      return "refund";
    case LedgerOpKind::hold:
      return "hold";
    case LedgerOpKind::capture:
      return "capture";
    case LedgerOpKind::void_hold:
      return "void";
    case LedgerOpKind::expire_hold:
      return "expire";
    case LedgerOpKind::freeze:
      return "freeze";
    case LedgerOpKind::unfreeze:
      return "unfreeze";
  }
  return "unknown";
}

bool records_op_id(LedgerOpKind kind) {
  return kind != LedgerOpKind::expire_hold && kind != LedgerOpKind::freeze && kind != LedgerOpKind::unfreeze;
}

std::string op_fingerprint(const std::string& account_id, const LedgerOp& op) {
  std::string canonical;
  append_field(canonical, "kind", to_string(op.kind));
  append_field(canonical, "account", account_id);
  switch (op.kind) {
    case LedgerOpKind::hold:
      append_field(canonical, "amount", std::to_string(op.amount_minor));
      append_field(canonical, "ttl", std::to_string(op.ttl_s));
      break;
    case LedgerOpKind::capture:
      append_field(canonical, "hold", op.hold_id);
      append_field(canonical, "amount", std::to_string(op.amount_minor));
      break;
    case LedgerOpKind::void_hold:
    case LedgerOpKind::expire_hold:
      append_field(canonical, "hold", op.hold_id);
      break;
    case LedgerOpKind::freeze:
    case LedgerOpKind::unfreeze:
      break;
    default:  // entries: credit, debit, recharge, refund
      append_field(canonical, "amount", std::to_string(op.amount_minor));
      append_field(canonical, "reason", op.reason);
      append_field(canonical, "info", op.info_json);
  }
  return crypto::sha256_hex(canonical);
}

OpIdCheck check_op_id(const OpRecord* stored, std::string_view fingerprint) {
  if (!stored) return OpIdCheck::fresh;
  return stored->fingerprint == fingerprint ? OpIdCheck::replay : OpIdCheck::conflict;
}

LedgerDecision decide_create(const std::optional<Account>& existing, const Account& wanted) {
  AccountState state{existing.value_or(wanted), {}};
  if (!valid_unit(wanted.unit))
    return refusing(state, Errc::invalid_parameter, "unit must match [A-Z0-9_]{1,16}");
  if (existing) {
    if (existing->unit == wanted.unit) return unchanged(state);
    return refusing(state, Errc::conflict, "the account exists with unit " + existing->unit);
  }
  LedgerDecision d;
  d.verdict = LedgerVerdict::apply;
  d.expected_version = 0;
  d.result.account = wanted;
  d.result.account.balance_minor = 0;
  d.result.account.held_minor = 0;
  d.result.account.frozen = false;
  d.result.account.version = 1;
  return d;
}

LedgerDecision decide(const AccountState& state, const LedgerOp& op, const OpRecord* stored, Millis now,
                      const LedgerLimits& limits) {
  if (!records_op_id(op.kind)) return decide_fresh(state, op, now, limits);
  if (!valid_op_id(op.op_id))
    return refusing(state, Errc::invalid_parameter, "op_id must be 1-128 visible ASCII");
  const std::string fingerprint = op_fingerprint(state.account.account_id, op);
  switch (check_op_id(stored, fingerprint)) {
    case OpIdCheck::replay: {
      LedgerDecision d;
      d.verdict = LedgerVerdict::replay;
      d.result = stored->result;
      return d;
    }
    case OpIdCheck::conflict:
      return refusing(state, Errc::conflict, "op_id was used with other parameters");
    case OpIdCheck::fresh:
      break;
  }
  LedgerDecision d = decide_fresh(state, op, now, limits);
  if (d.verdict == LedgerVerdict::apply) {
    d.record = OpRecord{op.op_id, std::string(to_string(op.kind)), fingerprint, d.result};
  }
  return d;
}

void check_invariants(const AccountState& state) {
  const Account& a = state.account;
  int64_t held = 0;
  for (const auto& [id, hold] : state.holds) {
    assert(id == hold.hold_id);
    assert(valid_amount(hold.amount_minor));
    assert(hold.captured_minor >= 0 && hold.captured_minor <= hold.amount_minor);
    assert(hold.state == HoldState::captured || hold.captured_minor == 0);
    if (hold.state == HoldState::active) held += hold.amount_minor;
  }
  assert(a.held_minor == held && "held = sum of active holds");
  assert(a.held_minor >= 0 && a.held_minor <= a.balance_minor && "0 <= held <= balance");
  assert(a.version >= 1);
  (void)a;
  (void)held;
}

void apply(AccountState& state, const LedgerDecision& d) {
  if (d.verdict != LedgerVerdict::apply) return;
  const Account& before = state.account;
  const Account& after = d.result.account;
  assert(d.expected_version == before.version && after.version == before.version + 1);
  assert(after.app_id == before.app_id && after.account_id == before.account_id && after.unit == before.unit);
  if (d.result.entry) {
    const LedgerEntry& e = *d.result.entry;
    assert(e.amount_minor != 0);
    assert(e.balance_before_minor == before.balance_minor);
    assert(e.balance_after_minor == e.balance_before_minor + e.amount_minor);
    assert(after.balance_minor == e.balance_after_minor);
    (void)e;
  } else {
    assert(after.balance_minor == before.balance_minor && "no balance change without an entry");
  }
  assert(after.available_minor() >= 0);
  (void)before;
  (void)after;
  state.account = d.result.account;
  if (d.result.hold) state.holds[d.result.hold->hold_id] = *d.result.hold;
  check_invariants(state);
}

std::vector<LedgerDecision> decide_batch(AccountState& state, const std::vector<BatchItem>& items, Millis now,
                                         const LedgerLimits& limits) {
  std::vector<LedgerDecision> out;
  out.reserve(items.size());
  std::map<std::string, OpRecord> recorded;  // op_ids applied in this batch; bounded by items
  for (const BatchItem& item : items) {
    const OpRecord* stored = item.stored ? &*item.stored : nullptr;
    if (auto it = recorded.find(item.op.op_id); records_op_id(item.op.kind) && it != recorded.end()) {
      stored = &it->second;
    }
    LedgerDecision d = decide(state, item.op, stored, now, limits);
    apply(state, d);
    if (d.record) recorded.emplace(d.record->op_id, *d.record);
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<std::string> due_holds(const AccountState& state, Millis now) {
  std::vector<std::string> due;
  for (const auto& [id, hold] : state.holds) {
    if (hold.state == HoldState::active && hold.expires_at <= now) due.push_back(id);
  }
  return due;
}

std::optional<Millis> next_expiry(const AccountState& state) {
  std::optional<Millis> next;
  for (const auto& [id, hold] : state.holds) {
    if (hold.state == HoldState::active && (!next || hold.expires_at < *next)) next = hold.expires_at;
  }
  return next;
}

}  // namespace unipay
