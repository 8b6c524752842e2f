// Property over both real channels: changing any single byte of a signed notification
// (anywhere in the body, or in any signature header for WeChat Pay) gets it refused. For
// Alipay's form body, a change that decodes to the same fields (a %2F written %2f) is the
// same notification, not a tampered one, and is skipped.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "net/channels/alipay_adapter.hpp"
#include "net/channels/alipay_provider.hpp"
#include "net/channels/wechatpay_adapter.hpp"
#include "net/channels/wechatpay_provider.hpp"
#include "tests/net/channels/test_support.hpp"

namespace unipay::channels {
namespace {

using testing::key;
using testing::KeyRole;

constexpr int64_t kNow = 1700000000;

struct AlipayCase {
  std::unique_ptr<ChannelAdapter> adapter = make_alipay_adapter();
  CredentialsPtr credentials;
  std::string body;
};

const AlipayCase& alipay_case() {
  static const AlipayCase c = [] {
    AlipayCase made;
    made.credentials = testing::credentials_for(
        *made.adapter,
        testing::object(
            {{"app_id", testing::string_value("2021000000000001")},
             {"seller_id", testing::string_value("2088000000000002")},
             {"alipay_public_key", testing::string_value(key(KeyRole::alipay_platform).public_key().pem())},
             {"app_private_key", testing::string_value(key(KeyRole::alipay_app).pem())}}));
    made.body = alipay::sign_notification({{"notify_type", "trade_status_sync"},
                                           {"app_id", "2021000000000001"},
                                           {"seller_id", "2088000000000002"},
                                           {"out_trade_no", "b_01HZZZZZZZZZZZZZZZZZZZZZZZ"},
                                           {"trade_no", "2024010122001400000000000001"},
                                           {"trade_status", "TRADE_SUCCESS"},
                                           {"total_amount", "4.99"},
                                           {"subject", "宝石 500"}},
                                          key(KeyRole::alipay_platform));
    return made;
  }();
  return c;
}

struct WechatCase {
  std::unique_ptr<ChannelAdapter> adapter = make_wechatpay_adapter();
  CredentialsPtr credentials;
  std::vector<http::Header> headers;
  std::string body;
};

const WechatCase& wechat_case() {
  static const WechatCase c = [] {
    WechatCase made;
    const std::string apiv3_key = "0123456789abcdef0123456789ABCDEF";
    made.credentials = testing::credentials_for(
        *made.adapter,
        testing::object(
            {{"mchid", testing::string_value("1900000001")},
             {"appid", testing::string_value("wx_app_1")},
             {"apiv3_key", testing::string_value(apiv3_key)},
             {"merchant_serial", testing::string_value("M1")},
             {"merchant_private_key", testing::string_value(key(KeyRole::wechat_merchant).pem())},
             {"platform_keys",
              testing::object({{"PUB_KEY_ID_1", testing::string_value(
                                                    key(KeyRole::wechat_platform).public_key().pem())}})}}));
    auto resource = wechatpay::encrypt_resource(
        apiv3_key, "transaction",
        R"({"appid":"wx_app_1","mchid":"1900000001","out_trade_no":"b_01HZZZZZZZZZZZZZZZZZZZZZZZ",)"
        R"("transaction_id":"4200000001","trade_state":"SUCCESS","amount":{"total":499,"currency":"CNY"}})",
        "nonce_abc123", "transaction");
    made.body = wechatpay::notification_body("evt-1", "TRANSACTION.SUCCESS", *resource, kNow);
    made.headers = wechatpay::sign_message({"PUB_KEY_ID_1", key(KeyRole::wechat_platform)}, kNow,
                                           "NONCE_0123456789", made.body);
    return made;
  }();
  return c;
}

// Proves the unchanged notifications verify, so the properties below test tampering only.
TEST(TamperProperty, OriginalsVerify) {
  EXPECT_TRUE(
      testing::verify(*alipay_case().adapter, alipay_case().credentials, {}, alipay_case().body, kNow).ok());
  EXPECT_TRUE(testing::verify(*wechat_case().adapter, wechat_case().credentials, wechat_case().headers,
                              wechat_case().body, kNow)
                  .ok());
}

RC_GTEST_PROP(TamperProperty, AlipayAnyByteChangedIsRefused, ()) {
  const AlipayCase& c = alipay_case();
  const size_t index = *rc::gen::inRange<size_t>(0, c.body.size());
  const auto byte =
      *rc::gen::suchThat(rc::gen::arbitrary<char>(), [&](char b) { return b != c.body[index]; });
  std::string body = c.body;
  body[index] = byte;
  auto original = form::parse(c.body, 100);
  auto changed = form::parse(body, 100);
  // Same fields: not a tampered notification. (Computed first: RC_PRE's expression capture
  // would evaluate both sides of ||.)
  const bool differs = !changed.ok() || *changed != *original;
  RC_PRE(differs);
  RC_ASSERT(!testing::verify(*c.adapter, c.credentials, {}, body, kNow).ok());
}

RC_GTEST_PROP(TamperProperty, WechatpayAnyByteChangedIsRefused, ()) {
  const WechatCase& c = wechat_case();
  std::vector<http::Header> headers = c.headers;
  std::string body = c.body;
  // Positions over the four header values then the body.
  std::vector<std::string*> parts;
  for (auto& h : headers) parts.push_back(&h.value);
  parts.push_back(&body);
  size_t total = 0;
  for (auto* p : parts) total += p->size();
  size_t index = *rc::gen::inRange<size_t>(0, total);
  std::string* target = parts.front();
  for (auto* p : parts) {
    if (index < p->size()) {
      target = p;
      break;
    }
    index -= p->size();
  }
  const char old_byte = (*target)[index];
  (*target)[index] = *rc::gen::suchThat(rc::gen::arbitrary<char>(), [&](char b) { return b != old_byte; });
  RC_ASSERT(!testing::verify(*c.adapter, c.credentials, headers, body, kNow).ok());
}

}  // namespace
}  // namespace unipay::channels
