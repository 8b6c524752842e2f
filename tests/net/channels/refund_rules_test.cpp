// Proves which bills an admin refund asks a provider about: only paid or delivered bills
// (409 otherwise), only channels with a refund API (400 for the app stores), and that the
// refund number is derived from the bill id alone (the same for every retry).
#include "net/channels/refund_rules.hpp"

#include <gtest/gtest.h>

namespace unipay::channels {
namespace {

TEST(RefundRules, OnlyPaidOrDeliveredBillsAreRefunded) {
  for (BillState state : {BillState::paid, BillState::delivered})
    EXPECT_FALSE(refund_refusal(state, "stripe").has_value());
  for (BillState state : {BillState::created, BillState::failed, BillState::closed, BillState::refunded}) {
    auto refusal = refund_refusal(state, "stripe");
    ASSERT_TRUE(refusal.has_value());
    EXPECT_EQ(refusal->code, Errc::conflict);
  }
}

TEST(RefundRules, ChannelsWithoutRefundApiAreInvalid) {
  EXPECT_FALSE(refund_refusal(BillState::paid, "sandbox").has_value());
  for (const char* channel : {"apple", "google", "no_such_channel"}) {
    auto refusal = refund_refusal(BillState::paid, channel);
    ASSERT_TRUE(refusal.has_value()) << channel;
    EXPECT_EQ(refusal->code, Errc::invalid_parameter) << channel;
  }
}

TEST(RefundRules, RefundIdIsDerivedFromTheBillId) {
  EXPECT_EQ(refund_id_for("b_01ARZ3NDEKTSV4RRFFQ69G5FAV"), "rf_b_01ARZ3NDEKTSV4RRFFQ69G5FAV");
  EXPECT_EQ(refund_id_for("b_1"), refund_id_for("b_1"));
}

}  // namespace
}  // namespace unipay::channels
