// The ledger rules case by case: every refusal with its code, what each applied operation
// changes (entry, hold, account, version), op_id replays and conflicts, batches.
#include "actors/ledger_rules.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace unipay {
namespace {

using std::chrono::seconds;

const Millis kNow = Millis{std::chrono::milliseconds{1'800'000'000'000}};
const LedgerLimits kLimits{};

AccountState account(int64_t balance, bool frozen = false) {
  AccountState s;
  s.account.app_id = "app1";
  s.account.account_id = "acc1";
  s.account.unit = "COIN";
  s.account.balance_minor = balance;
  s.account.frozen = frozen;
  s.account.version = 7;
  return s;
}

LedgerOp op(LedgerOpKind kind, std::string op_id, int64_t amount = 0, std::string hold_id = "") {
  LedgerOp o;
  o.kind = kind;
  o.op_id = std::move(op_id);
  o.amount_minor = amount;
  o.hold_id = std::move(hold_id);
  if (kind == LedgerOpKind::hold) o.ttl_s = 60;
  return o;
}

LedgerDecision decide_now(const AccountState& s, const LedgerOp& o, const OpRecord* stored = nullptr) {
  return decide(s, o, stored, kNow, kLimits);
}

// Applies `o` to `s`, which must succeed, and returns the decision.
LedgerDecision must_apply(AccountState& s, const LedgerOp& o) {
  LedgerDecision d = decide_now(s, o);
  EXPECT_EQ(d.verdict, LedgerVerdict::apply) << to_string(o.kind) << " " << d.result.error_message;
  apply(s, d);
  return d;
}

void expect_refused(const AccountState& s, const LedgerOp& o, Errc code) {
  LedgerDecision d = decide_now(s, o);
  EXPECT_EQ(d.verdict, LedgerVerdict::refuse) << to_string(o.kind);
  ASSERT_TRUE(d.result.error) << to_string(o.kind);
  EXPECT_EQ(*d.result.error, code) << to_string(o.kind) << ": " << d.result.error_message;
  EXPECT_FALSE(d.record);
  EXPECT_EQ(d.result.account.version, s.account.version);
  EXPECT_EQ(d.result.account.balance_minor, s.account.balance_minor);
}

// Proves the validators accept exactly the documented shapes.
TEST(LedgerRules, ValidatorsAcceptExactlyTheDocumentedShapes) {
  EXPECT_TRUE(valid_unit("COIN"));
  EXPECT_TRUE(valid_unit("USD"));
  EXPECT_TRUE(valid_unit("GEMS_2"));
  EXPECT_TRUE(valid_unit(std::string(16, 'A')));
  EXPECT_FALSE(valid_unit(std::string(17, 'A')));
  EXPECT_FALSE(valid_unit(""));
  EXPECT_FALSE(valid_unit("coin"));
  EXPECT_FALSE(valid_unit("CO-IN"));
  EXPECT_TRUE(valid_op_id("a"));
  EXPECT_TRUE(valid_op_id(std::string(128, '~')));
  EXPECT_TRUE(valid_op_id("!op:1/2"));
  EXPECT_FALSE(valid_op_id(""));
  EXPECT_FALSE(valid_op_id(std::string(129, 'a')));
  EXPECT_FALSE(valid_op_id("has space"));
  EXPECT_FALSE(valid_op_id("tab\t"));
  EXPECT_FALSE(valid_op_id("\x7f"));
  EXPECT_FALSE(valid_op_id("caf\xc3\xa9"));
  EXPECT_TRUE(valid_amount(1));
  EXPECT_TRUE(valid_amount(kMaxAmountMinor));
  EXPECT_FALSE(valid_amount(0));
  EXPECT_FALSE(valid_amount(-1));
  EXPECT_FALSE(valid_amount(kMaxAmountMinor + 1));
}

// Proves each refusal of the issue comes with its code and changes nothing.
TEST(LedgerRules, EachRefusalHasItsCodeAndChangesNothing) {
  AccountState s = account(100);
  expect_refused(s, op(LedgerOpKind::credit, "o1", 0), Errc::invalid_parameter);
  expect_refused(s, op(LedgerOpKind::credit, "o1", kMaxAmountMinor + 1), Errc::invalid_parameter);
  expect_refused(s, op(LedgerOpKind::debit, "o1", -5), Errc::invalid_parameter);
  expect_refused(s, op(LedgerOpKind::credit, "", 5), Errc::invalid_parameter);
  expect_refused(s, op(LedgerOpKind::credit, "bad id", 5), Errc::invalid_parameter);
  expect_refused(s, op(LedgerOpKind::debit, "o1", 101), Errc::insufficient_balance);
  expect_refused(s, op(LedgerOpKind::refund, "o1", 101), Errc::insufficient_balance);
  expect_refused(s, op(LedgerOpKind::hold, "o1", 101, "h1"), Errc::insufficient_balance);
  LedgerOp no_ttl = op(LedgerOpKind::hold, "o1", 10, "h1");
  no_ttl.ttl_s = 0;
  expect_refused(s, no_ttl, Errc::invalid_parameter);
  no_ttl.ttl_s = kMaxHoldTtlS + 1;
  expect_refused(s, no_ttl, Errc::invalid_parameter);
  expect_refused(s, op(LedgerOpKind::capture, "o1", 0, "nope"), Errc::not_found);
  expect_refused(s, op(LedgerOpKind::void_hold, "o1", 0, "nope"), Errc::not_found);

  AccountState frozen = account(100, true);
  expect_refused(frozen, op(LedgerOpKind::debit, "o1", 1), Errc::account_frozen);
  expect_refused(frozen, op(LedgerOpKind::hold, "o1", 1, "h1"), Errc::account_frozen);

  AccountState huge = account(std::numeric_limits<int64_t>::max() - 5);
  expect_refused(huge, op(LedgerOpKind::credit, "o1", 6), Errc::invalid_parameter);
  EXPECT_EQ(decide_now(huge, op(LedgerOpKind::credit, "o1", 5)).verdict, LedgerVerdict::apply);
}

// Proves a credit and a debit write a chained entry and move the version by one.
TEST(LedgerRules, CreditAndDebitWriteChainedEntries) {
  AccountState s = account(0);
  LedgerOp credit = op(LedgerOpKind::credit, "c1", 250);
  credit.reason = "gift";
  credit.info_json = R"({"k":1})";
  LedgerDecision c = must_apply(s, credit);
  ASSERT_TRUE(c.result.entry);
  EXPECT_EQ(c.expected_version, 7);
  EXPECT_EQ(c.result.account.version, 8);
  EXPECT_EQ(c.result.entry->kind, EntryKind::credit);
  EXPECT_EQ(c.result.entry->amount_minor, 250);
  EXPECT_EQ(c.result.entry->balance_before_minor, 0);
  EXPECT_EQ(c.result.entry->balance_after_minor, 250);
  EXPECT_EQ(c.result.entry->reason, "gift");
  EXPECT_EQ(c.result.entry->info_json, R"({"k":1})");
  EXPECT_EQ(c.result.account.updated_at, kNow);
  ASSERT_TRUE(c.record);
  EXPECT_EQ(c.record->kind, "credit");

  LedgerDecision d = must_apply(s, op(LedgerOpKind::debit, "d1", 250));
  EXPECT_EQ(d.result.entry->amount_minor, -250);
  EXPECT_EQ(d.result.entry->balance_before_minor, 250);
  EXPECT_EQ(d.result.entry->balance_after_minor, 0);
  EXPECT_EQ(s.account.balance_minor, 0);
  EXPECT_EQ(s.account.version, 9);
}

// Proves a hold reserves funds (debits see less), a partial capture takes part and
// releases the rest, and a captured hold cannot be captured or voided again.
TEST(LedgerRules, HoldThenPartialCaptureReleasesTheRest) {
  AccountState s = account(100);
  LedgerDecision h = must_apply(s, op(LedgerOpKind::hold, "h-op", 60, "h1"));
  EXPECT_TRUE(h.hold_created);
  EXPECT_FALSE(h.result.entry);
  EXPECT_EQ(h.result.hold->state, HoldState::active);
  EXPECT_EQ(h.result.hold->expires_at, kNow + seconds{60});
  EXPECT_EQ(s.account.held_minor, 60);
  EXPECT_EQ(s.account.available_minor(), 40);
  expect_refused(s, op(LedgerOpKind::debit, "d1", 41), Errc::insufficient_balance);
  expect_refused(s, op(LedgerOpKind::capture, "c1", 61, "h1"), Errc::invalid_parameter);

  LedgerDecision c = must_apply(s, op(LedgerOpKind::capture, "c1", 45, "h1"));
  EXPECT_FALSE(c.hold_created);
  EXPECT_EQ(c.result.hold->state, HoldState::captured);
  EXPECT_EQ(c.result.hold->captured_minor, 45);
  EXPECT_EQ(c.result.entry->kind, EntryKind::capture);
  EXPECT_EQ(c.result.entry->amount_minor, -45);
  EXPECT_EQ(c.result.entry->hold_id, "h1");
  EXPECT_EQ(s.account.balance_minor, 55);
  EXPECT_EQ(s.account.held_minor, 0);
  expect_refused(s, op(LedgerOpKind::capture, "c2", 0, "h1"), Errc::conflict);
  expect_refused(s, op(LedgerOpKind::void_hold, "v1", 0, "h1"), Errc::conflict);
}

// Proves a capture without amount takes the whole hold; a void releases it all.
TEST(LedgerRules, WholeCaptureAndVoid) {
  AccountState s = account(100);
  must_apply(s, op(LedgerOpKind::hold, "h-a", 30, "ha"));
  must_apply(s, op(LedgerOpKind::hold, "h-b", 20, "hb"));
  EXPECT_EQ(s.account.held_minor, 50);
  LedgerDecision c = must_apply(s, op(LedgerOpKind::capture, "c", 0, "ha"));
  EXPECT_EQ(c.result.entry->amount_minor, -30);
  LedgerDecision v = must_apply(s, op(LedgerOpKind::void_hold, "v", 0, "hb"));
  EXPECT_EQ(v.result.hold->state, HoldState::voided);
  EXPECT_FALSE(v.result.entry);
  EXPECT_EQ(s.account.balance_minor, 70);
  EXPECT_EQ(s.account.held_minor, 0);
}

// Proves a hold past expires_at is never captured: the capture is refused with conflict
// and expires the hold in the same applied change (recorded, so a replay answers 409 too).
TEST(LedgerRules, CapturePastExpiryExpiresTheHoldAndRefuses) {
  AccountState s = account(100);
  must_apply(s, op(LedgerOpKind::hold, "h", 30, "h1"));
  LedgerDecision late =
      decide(s, op(LedgerOpKind::capture, "c", 0, "h1"), nullptr, kNow + seconds{60}, kLimits);
  EXPECT_EQ(late.verdict, LedgerVerdict::apply);
  ASSERT_TRUE(late.result.error);
  EXPECT_EQ(*late.result.error, Errc::conflict);
  EXPECT_FALSE(late.result.entry);
  EXPECT_EQ(late.result.hold->state, HoldState::expired);
  ASSERT_TRUE(late.record);
  apply(s, late);
  EXPECT_EQ(s.account.held_minor, 0);
  EXPECT_EQ(s.account.balance_minor, 100);
}

// Proves expiry: not before expires_at, then once; an ended hold stays as it is.
TEST(LedgerRules, ExpireOnlyWhenDue) {
  AccountState s = account(100);
  must_apply(s, op(LedgerOpKind::hold, "h", 30, "h1"));
  EXPECT_EQ(next_expiry(s), kNow + seconds{60});
  EXPECT_TRUE(due_holds(s, kNow + seconds{59}).empty());
  LedgerOp expire = op(LedgerOpKind::expire_hold, "", 0, "h1");
  EXPECT_EQ(decide(s, expire, nullptr, kNow + seconds{59}, kLimits).verdict, LedgerVerdict::refuse);
  ASSERT_EQ(due_holds(s, kNow + seconds{60}), std::vector<std::string>{"h1"});
  LedgerDecision d = decide(s, expire, nullptr, kNow + seconds{60}, kLimits);
  ASSERT_EQ(d.verdict, LedgerVerdict::apply);
  EXPECT_FALSE(d.record);
  apply(s, d);
  EXPECT_EQ(s.account.held_minor, 0);
  EXPECT_FALSE(next_expiry(s));
  EXPECT_EQ(decide(s, expire, nullptr, kNow + seconds{61}, kLimits).verdict, LedgerVerdict::unchanged);
}

// Proves a frozen account refuses debit, hold and capture but takes credits, voids and
// refunds; freeze and unfreeze are idempotent.
TEST(LedgerRules, FrozenRefusesSpendingOnly) {
  AccountState s = account(100);
  must_apply(s, op(LedgerOpKind::hold, "h-a", 10, "ha"));
  must_apply(s, op(LedgerOpKind::hold, "h-b", 10, "hb"));
  must_apply(s, op(LedgerOpKind::freeze, ""));
  EXPECT_EQ(decide_now(s, op(LedgerOpKind::freeze, "")).verdict, LedgerVerdict::unchanged);
  expect_refused(s, op(LedgerOpKind::debit, "d", 1), Errc::account_frozen);
  expect_refused(s, op(LedgerOpKind::hold, "h", 1, "hc"), Errc::account_frozen);
  expect_refused(s, op(LedgerOpKind::capture, "c", 0, "ha"), Errc::account_frozen);
  must_apply(s, op(LedgerOpKind::credit, "cr", 5));
  must_apply(s, op(LedgerOpKind::recharge, "re", 5));
  must_apply(s, op(LedgerOpKind::refund, "rf", 5));
  must_apply(s, op(LedgerOpKind::void_hold, "v", 0, "ha"));
  must_apply(s, op(LedgerOpKind::unfreeze, ""));
  EXPECT_EQ(decide_now(s, op(LedgerOpKind::unfreeze, "")).verdict, LedgerVerdict::unchanged);
  must_apply(s, op(LedgerOpKind::capture, "c", 0, "hb"));
  EXPECT_EQ(s.account.balance_minor, 95);
}

// Proves the active-holds limit is a clear refusal (busy).
TEST(LedgerRules, ActiveHoldLimitRefusesWithBusy) {
  AccountState s = account(100);
  LedgerLimits two{2};
  for (auto id : {"h1", "h2"}) {
    LedgerDecision d = decide(s, op(LedgerOpKind::hold, id, 1, id), nullptr, kNow, two);
    ASSERT_EQ(d.verdict, LedgerVerdict::apply);
    apply(s, d);
  }
  LedgerDecision third = decide(s, op(LedgerOpKind::hold, "h3", 1, "h3"), nullptr, kNow, two);
  ASSERT_EQ(third.verdict, LedgerVerdict::refuse);
  EXPECT_EQ(*third.result.error, Errc::busy);
}

// Proves the op_id rule: same parameters replay the first result (even when the state has
// moved on); other parameters, another account or another kind conflict.
TEST(LedgerRules, OpIdReplaysOrConflicts) {
  AccountState s = account(100);
  LedgerOp debit = op(LedgerOpKind::debit, "op-1", 30);
  LedgerDecision first = must_apply(s, debit);
  const OpRecord record = *first.record;
  must_apply(s, op(LedgerOpKind::debit, "op-2", 70));

  LedgerDecision again = decide_now(s, debit, &record);
  EXPECT_EQ(again.verdict, LedgerVerdict::replay);
  EXPECT_EQ(again.result.entry->balance_after_minor, 70);
  EXPECT_EQ(again.result.account.version, 8);
  EXPECT_FALSE(again.record);

  LedgerOp other_amount = debit;
  other_amount.amount_minor = 31;
  LedgerOp other_reason = debit;
  other_reason.reason = "x";
  LedgerOp other_kind = debit;
  other_kind.kind = LedgerOpKind::credit;
  for (const LedgerOp& o : {other_amount, other_reason, other_kind}) {
    LedgerDecision d = decide_now(s, o, &record);
    EXPECT_EQ(d.verdict, LedgerVerdict::refuse);
    EXPECT_EQ(*d.result.error, Errc::conflict);
  }
  AccountState elsewhere = account(100);
  elsewhere.account.account_id = "acc2";
  EXPECT_EQ(*decide_now(elsewhere, debit, &record).result.error, Errc::conflict);

  EXPECT_EQ(check_op_id(nullptr, "f"), OpIdCheck::fresh);
  EXPECT_NE(op_fingerprint("acc1", debit), op_fingerprint("acc1", other_amount));
  LedgerOp hold_a = op(LedgerOpKind::hold, "h", 5, "id-a");
  LedgerOp hold_b = op(LedgerOpKind::hold, "h", 5, "id-b");
  EXPECT_EQ(op_fingerprint("acc1", hold_a), op_fingerprint("acc1", hold_b)) << "a retried hold gets a new id";
}

// Proves create: 201-like apply at version 1, unchanged with the same unit, conflict with
// another, invalid unit refused.
TEST(LedgerRules, CreateAccount) {
  Account wanted = account(0).account;
  wanted.balance_minor = 99;  // ignored: accounts start empty
  LedgerDecision created = decide_create(std::nullopt, wanted);
  EXPECT_EQ(created.verdict, LedgerVerdict::apply);
  EXPECT_EQ(created.result.account.version, 1);
  EXPECT_EQ(created.result.account.balance_minor, 0);
  EXPECT_EQ(decide_create(created.result.account, wanted).verdict, LedgerVerdict::unchanged);
  Account other = wanted;
  other.unit = "USD";
  LedgerDecision conflict = decide_create(created.result.account, other);
  EXPECT_EQ(conflict.verdict, LedgerVerdict::refuse);
  EXPECT_EQ(*conflict.result.error, Errc::conflict);
  other.unit = "usd";
  EXPECT_EQ(*decide_create(std::nullopt, other).result.error, Errc::invalid_parameter);
}

// Proves a batch decides in order against the running balance: the third debit sees what
// the first two left, a repeated op_id in the batch replays, versions follow each other.
TEST(LedgerRules, BatchDecidesAgainstTheRunningBalance) {
  AccountState s = account(100);
  std::vector<BatchItem> items = {
      {op(LedgerOpKind::debit, "a", 40), std::nullopt}, {op(LedgerOpKind::debit, "b", 40), std::nullopt},
      {op(LedgerOpKind::debit, "c", 40), std::nullopt}, {op(LedgerOpKind::debit, "a", 40), std::nullopt},
      {op(LedgerOpKind::debit, "a", 41), std::nullopt}, {op(LedgerOpKind::credit, "d", 5), std::nullopt}};
  auto out = decide_batch(s, items, kNow, kLimits);
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[0].verdict, LedgerVerdict::apply);
  EXPECT_EQ(out[0].expected_version, 7);
  EXPECT_EQ(out[1].verdict, LedgerVerdict::apply);
  EXPECT_EQ(out[1].expected_version, 8);
  EXPECT_EQ(out[2].verdict, LedgerVerdict::refuse);
  EXPECT_EQ(*out[2].result.error, Errc::insufficient_balance);
  EXPECT_EQ(out[3].verdict, LedgerVerdict::replay);
  EXPECT_EQ(out[3].result.entry->balance_after_minor, 60);
  EXPECT_EQ(*out[4].result.error, Errc::conflict);
  EXPECT_EQ(out[5].verdict, LedgerVerdict::apply);
  EXPECT_EQ(out[5].expected_version, 9);
  EXPECT_EQ(out[5].result.entry->balance_before_minor, 20);
  EXPECT_EQ(s.account.balance_minor, 25);
  EXPECT_EQ(s.account.version, 10);
}

}  // namespace
}  // namespace unipay
