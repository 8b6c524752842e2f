// Proves the bill state machine of DESIGN.md §2 and §7.7/§7.8 cell by cell: every
// (state, event) pair has exactly the verdict and target the contract gives it.
#include "actors/bill_rules.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

namespace unipay {
namespace {

using S = BillState;
using K = BillEventKind;
using V = Verdict;

Bill bill_in(S state) {
  Bill b;
  b.bill_id = "b_01JABCDEFGHJKMNPQRSTVWXYZ0";
  b.app_id = "app_1";
  b.amount_minor = 600;
  b.currency = "USD";
  b.state = state;
  b.version = 3;
  if (state == S::paid || state == S::delivered || state == S::refunded) b.provider_trade_no = "T1";
  return b;
}

BillEvent event(K kind, std::string trade_no = "T1", int64_t amount = 600, std::string currency = "USD") {
  BillEvent e;
  e.kind = kind;
  e.trade_no = std::move(trade_no);
  e.amount_minor = amount;
  e.currency = std::move(currency);
  return e;
}

struct Cell {
  S state;
  K kind;
  V verdict;
  S next;  // meaningful for apply
};

// The whole table: 6 states × 6 events.
const Cell kTable[] = {
    {S::created, K::provider_success, V::apply, S::paid},
    {S::created, K::provider_failure, V::apply, S::failed},
    {S::created, K::close, V::apply, S::closed},
    {S::created, K::expire, V::apply, S::closed},
    {S::created, K::delivery_confirmed, V::refuse, S::created},
    {S::created, K::refund, V::refuse, S::created},

    {S::paid, K::provider_success, V::ignore, S::paid},  // same trade number: duplicate
    {S::paid, K::provider_failure, V::ignore, S::paid},
    {S::paid, K::close, V::refuse, S::paid},
    {S::paid, K::expire, V::ignore, S::paid},
    {S::paid, K::delivery_confirmed, V::apply, S::delivered},
    {S::paid, K::refund, V::apply, S::refunded},

    {S::failed, K::provider_success, V::apply, S::paid},  // late payment
    {S::failed, K::provider_failure, V::ignore, S::failed},
    {S::failed, K::close, V::refuse, S::failed},
    {S::failed, K::expire, V::ignore, S::failed},
    {S::failed, K::delivery_confirmed, V::refuse, S::failed},
    {S::failed, K::refund, V::refuse, S::failed},

    {S::closed, K::provider_success, V::apply, S::paid},  // late payment
    {S::closed, K::provider_failure, V::ignore, S::closed},
    {S::closed, K::close, V::ignore, S::closed},  // closing a closed bill is 200 again
    {S::closed, K::expire, V::ignore, S::closed},
    {S::closed, K::delivery_confirmed, V::refuse, S::closed},
    {S::closed, K::refund, V::refuse, S::closed},

    {S::delivered, K::provider_success, V::ignore, S::delivered},
    {S::delivered, K::provider_failure, V::ignore, S::delivered},
    {S::delivered, K::close, V::refuse, S::delivered},
    {S::delivered, K::expire, V::ignore, S::delivered},
    {S::delivered, K::delivery_confirmed, V::ignore, S::delivered},
    {S::delivered, K::refund, V::apply, S::refunded},

    {S::refunded, K::provider_success, V::ignore, S::refunded},
    {S::refunded, K::provider_failure, V::ignore, S::refunded},
    {S::refunded, K::close, V::refuse, S::refunded},
    {S::refunded, K::expire, V::ignore, S::refunded},
    {S::refunded, K::delivery_confirmed, V::ignore, S::refunded},
    {S::refunded, K::refund, V::ignore, S::refunded},
};

TEST(BillRules, EveryStateEventPairFollowsTheContract) {
  for (const Cell& cell : kTable) {
    Decision d = decide(bill_in(cell.state), event(cell.kind));
    SCOPED_TRACE(std::string(to_string(cell.state)) + " + " + std::string(to_string(cell.kind)));
    EXPECT_EQ(d.verdict, cell.verdict) << d.reason;
    if (cell.verdict == V::apply) {
      EXPECT_EQ(d.next, cell.next);
    }
  }
}

TEST(BillRules, TableCoversAllThirtySixPairs) { EXPECT_EQ(std::size(kTable), 36u); }

TEST(BillRules, SuccessWithWrongMoneyIsRefusedInEveryState) {
  for (S state : {S::created, S::paid, S::failed, S::closed, S::delivered, S::refunded}) {
    EXPECT_EQ(decide(bill_in(state), event(K::provider_success, "T1", 599)).verdict, V::refuse);
    EXPECT_EQ(decide(bill_in(state), event(K::provider_success, "T1", 600, "EUR")).verdict, V::refuse);
  }
}

// Proves an app store's success (store_item_id set: Apple prices per storefront, so it
// reports no comparable amount) is judged by the item it sold instead of amount and
// currency: the bill's item is accepted whatever the amount, another item is a conflict in
// every state, and the trade-number rules are unchanged (same trade: duplicate; another: conflict).
TEST(BillRules, StoreSuccessIsJudgedByItemNotAmount) {
  struct Row {
    S state;
    std::string item;
    std::string trade_no;
    V verdict;
  };
  const Row rows[] = {
      {S::created, "gem_100", "T1", V::apply},    {S::created, "gem_500", "T1", V::refuse},
      {S::closed, "gem_100", "T1", V::apply},     {S::paid, "gem_100", "T1", V::ignore},
      {S::paid, "gem_100", "T2", V::refuse},      {S::paid, "gem_500", "T1", V::refuse},
      {S::delivered, "gem_100", "T1", V::ignore}, {S::refunded, "gem_500", "T1", V::refuse},
  };
  for (const Row& row : rows) {
    Bill bill = bill_in(row.state);
    bill.item_id = "gem_100";
    BillEvent e = event(K::provider_success, row.trade_no, 0, "");  // the store's: not the bill's
    e.store_item_id = row.item;
    Decision d = decide(bill, e);
    EXPECT_EQ(d.verdict, row.verdict) << to_string(row.state) << " " << row.item << " " << row.trade_no;
    if (d.verdict == V::refuse) {
      EXPECT_EQ(d.refusal, Errc::conflict);
    }
  }
}

TEST(BillRules, SecondTradeNumberForAPaidBillIsAConflict) {
  Decision d = decide(bill_in(S::paid), event(K::provider_success, "T2"));
  EXPECT_EQ(d.verdict, V::refuse);
  EXPECT_EQ(d.refusal, Errc::conflict);
}

TEST(BillRules, AnotherAppsEventIsNotFound) {
  BillEvent e = event(K::close);
  e.app_id = "app_other";
  Decision d = decide(bill_in(S::created), e);
  EXPECT_EQ(d.verdict, V::refuse);
  EXPECT_EQ(d.refusal, Errc::not_found);
}

// A notification verified with the app's credentials of one channel cannot settle a bill
// made for another channel (its trade number would be another channel's).
TEST(BillRules, ProviderEventOfAnotherChannelIsAConflict) {
  Bill bill = bill_in(S::created);
  bill.channel = "alipay";
  for (K kind : {K::provider_success, K::provider_failure}) {
    BillEvent e = event(kind);
    e.channel = "wechatpay";
    Decision d = decide(bill, e);
    EXPECT_EQ(d.verdict, V::refuse);
    EXPECT_EQ(d.refusal, Errc::conflict);
    e.channel = "alipay";
    EXPECT_EQ(decide(bill, e).verdict, V::apply);
    e.channel.clear();  // internal or not stated: not checked
    EXPECT_EQ(decide(bill, e).verdict, V::apply);
  }
}

// Refund notifications by the amount they give back, against a bill of 600 (DESIGN.md §2:
// paid/delivered → refunded). Only the whole amount (or a revocation naming no amount, 0)
// refunds the bill; a partial refund is acknowledged with an alert and changes nothing; more
// than the bill is a mismatch, refused.
struct RefundCell {
  S state;
  int64_t refund_amount_minor;
  V verdict;
  bool alert;
  S next;  // meaningful for apply
};

const RefundCell kRefundTable[] = {
    {S::paid, 600, V::apply, false, S::refunded},
    {S::delivered, 600, V::apply, false, S::refunded},
    {S::paid, 0, V::apply, false, S::refunded},
    {S::delivered, 0, V::apply, false, S::refunded},
    {S::paid, 1, V::ignore, true, S::paid},
    {S::delivered, 599, V::ignore, true, S::delivered},
    {S::paid, 601, V::refuse, false, S::paid},
    {S::delivered, 601, V::refuse, false, S::delivered},
    {S::refunded, 600, V::ignore, false, S::refunded},
    {S::refunded, 300, V::ignore, false, S::refunded},
    {S::created, 600, V::refuse, false, S::created},
    {S::created, 300, V::refuse, false, S::created},
    {S::failed, 600, V::refuse, false, S::failed},
    {S::closed, 300, V::refuse, false, S::closed},
    {S::delivered, -1, V::refuse, false, S::delivered},
};

TEST(BillRules, OnlyARefundOfTheWholeAmountRefundsTheBill) {
  for (const RefundCell& cell : kRefundTable) {
    BillEvent e = event(K::refund);
    e.refund_amount_minor = cell.refund_amount_minor;
    Decision d = decide(bill_in(cell.state), e);
    SCOPED_TRACE(std::string(to_string(cell.state)) + " + refund of " +
                 std::to_string(cell.refund_amount_minor));
    EXPECT_EQ(d.verdict, cell.verdict) << d.reason;
    EXPECT_EQ(d.alert, cell.alert) << d.reason;
    if (cell.verdict == V::apply) {
      EXPECT_EQ(d.next, cell.next);
    }
    if (cell.verdict == V::refuse) {
      EXPECT_EQ(d.refusal, Errc::conflict);
    }
  }
}

TEST(BillRules, PartialRefundReasonNamesBothAmounts) {
  BillEvent e = event(K::refund);
  e.refund_amount_minor = 250;
  EXPECT_EQ(decide(bill_in(S::delivered), e).reason, "partial refund of 250 of 600: bill unchanged");
}

TEST(BillRules, ClosingAPaidBillIsAConflict) {
  EXPECT_EQ(decide(bill_in(S::paid), event(K::close)).refusal, Errc::conflict);
}

TEST(BillRules, LatePaymentIsMarkedAndDelivered) {
  for (S state : {S::failed, S::closed}) {
    Decision d = decide(bill_in(state), event(K::provider_success, "T9"));
    EXPECT_TRUE(d.late_payment);
    EXPECT_TRUE(d.enqueue_delivery);
    Bill next = apply_decision(bill_in(state), d, event(K::provider_success, "T9"), Millis{});
    EXPECT_TRUE(next.late_payment);
    EXPECT_EQ(next.provider_trade_no, "T9");
  }
}

TEST(BillRules, PaidEnqueuesDeliveryAndDeliveredFinishesIt) {
  EXPECT_TRUE(decide(bill_in(S::created), event(K::provider_success)).enqueue_delivery);
  EXPECT_TRUE(decide(bill_in(S::paid), event(K::delivery_confirmed)).finish_delivery);
  EXPECT_FALSE(decide(bill_in(S::created), event(K::close)).enqueue_delivery);
}

// A refund from paid or delivered commits a delivery job (bill.refunded reaches the game
// server) and never ends the pending bill.paid job: that job carries bill.refunded instead.
TEST(BillRules, RefundEnqueuesDeliveryAndKeepsThePendingJob) {
  for (S state : {S::paid, S::delivered}) {
    Decision d = decide(bill_in(state), event(K::refund));
    SCOPED_TRACE(std::string(to_string(state)));
    EXPECT_EQ(d.verdict, V::apply);
    EXPECT_TRUE(d.enqueue_delivery);
    EXPECT_FALSE(d.finish_delivery);
  }
  EXPECT_FALSE(decide(bill_in(S::refunded), event(K::refund)).enqueue_delivery);
}

TEST(BillRules, ApplyBumpsVersionAndStampsTimes) {
  Millis t{std::chrono::milliseconds(1'700'000'000'123)};
  Bill paid = apply_decision(bill_in(S::created), decide(bill_in(S::created), event(K::provider_success)),
                             event(K::provider_success), t);
  EXPECT_EQ(paid.version, 4);
  EXPECT_EQ(paid.state, S::paid);
  EXPECT_EQ(paid.paid_at, t);
  Bill delivered =
      apply_decision(paid, decide(paid, event(K::delivery_confirmed)), event(K::delivery_confirmed), t);
  EXPECT_EQ(delivered.version, 5);
  EXPECT_EQ(delivered.delivered_at, t);
}

TEST(BillRules, WaitConditions) {
  EXPECT_FALSE(wait_satisfied(S::created, WaitUntil::paid));
  for (S s : {S::paid, S::failed, S::closed, S::delivered, S::refunded})
    EXPECT_TRUE(wait_satisfied(s, WaitUntil::paid));
  EXPECT_FALSE(wait_satisfied(S::created, WaitUntil::delivered));
  EXPECT_FALSE(wait_satisfied(S::paid, WaitUntil::delivered));
  for (S s : {S::failed, S::closed, S::delivered, S::refunded})
    EXPECT_TRUE(wait_satisfied(s, WaitUntil::delivered));
}

// Property: no event sequence moves money twice. Whatever order callbacks, closes, expiries,
// confirmations and refunds arrive in, at most one trade number is ever accepted and a bill
// is paid at most once per trade.
RC_GTEST_PROP(BillRules, AtMostOneTradeIsEverAccepted, ()) {
  auto kinds = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 6));
  auto trades = *rc::gen::container<std::vector<int>>(kinds.size(), rc::gen::inRange(0, 3));
  Bill bill = bill_in(S::created);
  bill.provider_trade_no.clear();
  std::set<std::string> accepted;
  for (size_t i = 0; i < kinds.size(); ++i) {
    BillEvent e = event(static_cast<K>(kinds[i]), "T" + std::to_string(trades[i]));
    Decision d = decide(bill, e);
    if (d.verdict != V::apply) continue;
    if (d.next == S::paid) accepted.insert(e.trade_no);
    bill = apply_decision(bill, d, e, Millis{});
  }
  RC_ASSERT(accepted.size() <= 1u);
}

}  // namespace
}  // namespace unipay
