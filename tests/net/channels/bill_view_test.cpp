// Proves what bill creation hands an adapter: the bill's fields (expiry in unix seconds) and
// the notify URL <public_base_url>/v1/callbacks/<app_id>/<channel> with no doubled slash.
#include "net/channels/bill_view.hpp"

#include <gtest/gtest.h>

namespace unipay::channels {
namespace {

TEST(BillView, CarriesTheBillFieldsAndExpiryInSeconds) {
  Bill bill;
  bill.bill_id = "b_01JABCDEFGHJKMNPQRSTVWXYZ0";
  bill.app_id = "app_0123456789abcdef";
  bill.item_id = "gem_100";
  bill.amount_minor = 600;
  bill.currency = "CNY";
  bill.expires_at = Millis(std::chrono::milliseconds(1796299200999));
  BillView view = bill_view(bill);
  EXPECT_EQ(view.bill_id, bill.bill_id);
  EXPECT_EQ(view.app_id, bill.app_id);
  EXPECT_EQ(view.item_id, "gem_100");
  EXPECT_EQ(view.amount_minor, 600);
  EXPECT_EQ(view.currency, "CNY");
  EXPECT_EQ(view.expires_at_s, 1796299200);
}

TEST(BillView, CallbackUrlJoinsWithOneSlash) {
  EXPECT_EQ(callback_url("https://pay.example", "app_1", "alipay"),
            "https://pay.example/v1/callbacks/app_1/alipay");
  EXPECT_EQ(callback_url("https://pay.example/unipay/", "app_1", "wechatpay"),
            "https://pay.example/unipay/v1/callbacks/app_1/wechatpay");
}

}  // namespace
}  // namespace unipay::channels
