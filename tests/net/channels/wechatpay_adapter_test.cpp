// net/channels/wechatpay_adapter: the wechatpay-go notification vector verifies and decrypts
// (and is refused once stale or changed); notifications signed and encrypted like WeChat Pay
// (wechatpay_provider) verify, and each tampered field is refused; prepare, query and refund
// sign their requests as the API checks them and accept only signed answers.
#include "net/channels/wechatpay_adapter.hpp"

#include <gtest/gtest.h>

#include "net/base64.hpp"
#include "net/channels/wechatpay_format.hpp"
#include "net/channels/wechatpay_provider.hpp"
#include "tests/net/channels/test_support.hpp"

namespace unipay::channels {
namespace {

using testing::key;
using testing::KeyRole;

constexpr int64_t kNow = 1700000000;
constexpr std::string_view kApiV3Key = "0123456789abcdef0123456789ABCDEF";  // 32 bytes: AES-256-GCM
constexpr std::string_view kBillId = "b_01HZZZZZZZZZZZZZZZZZZZZZZZ";

const ChannelAdapter& adapter() {
  static const auto made = make_wechatpay_adapter();
  return *made;
}

json::Value vector_json() {
  return testing::read_json(testing::vector_path("wechatpay/wechatpay-go_notify_test.json"));
}

json::Value credentials_json(std::string mchid, std::string appid, std::string apiv3_key,
                             json::Value platform_keys) {
  return testing::object(
      {{"mchid", testing::string_value(std::move(mchid))},
       {"appid", testing::string_value(std::move(appid))},
       {"apiv3_key", testing::string_value(std::move(apiv3_key))},
       {"merchant_serial", testing::string_value("MERCHANT_SERIAL_1")},
       {"merchant_private_key", testing::string_value(key(KeyRole::wechat_merchant).pem())},
       {"platform_keys", std::move(platform_keys)}});
}

CredentialsPtr generated_credentials() {
  return testing::credentials_for(
      adapter(),
      credentials_json(
          "1900000001", "wx_app_1", std::string(kApiV3Key),
          testing::object(
              {{"PUB_KEY_ID_1", testing::string_value(key(KeyRole::wechat_platform).public_key().pem())},
               {"PUB_KEY_ID_2",
                testing::string_value(key(KeyRole::wechat_platform_2).public_key().pem())}})));
}

std::string transaction(std::string_view mchid = "1900000001", std::string_view appid = "wx_app_1",
                        int64_t total = 499, std::string_view currency = "CNY",
                        std::string_view state = "SUCCESS") {
  json::Writer out;
  out.begin_object().key("appid").string(appid).key("mchid").string(mchid);
  out.key("out_trade_no").string(kBillId).key("transaction_id").string("4200000001");
  out.key("trade_type").string("APP").key("trade_state").string(state);
  out.key("amount").begin_object().key("total").integer(total).key("currency").string(currency).end_object();
  out.end_object();
  return out.take();
}

struct Notification {
  std::vector<http::Header> headers;
  std::string body;
};

Notification notification(const std::string& plaintext, std::string_view event = "TRANSACTION.SUCCESS",
                          int64_t sent_s = kNow,
                          const crypto::RsaPrivateKey& platform = key(KeyRole::wechat_platform),
                          std::string serial = "PUB_KEY_ID_1", std::string_view apiv3_key = kApiV3Key) {
  auto resource =
      wechatpay::encrypt_resource(apiv3_key, "transaction", plaintext, "nonce_abc123", "transaction");
  EXPECT_TRUE(resource.ok());
  Notification n;
  n.body = wechatpay::notification_body("evt-1", event, *resource, sent_s);
  n.headers = wechatpay::sign_message({std::move(serial), platform}, sent_s, "NONCE_0123456789", n.body);
  return n;
}

Result<ProviderResult> verify(const Notification& n, int64_t now_s = kNow,
                              const CredentialsPtr& creds = generated_credentials()) {
  return testing::verify(adapter(), creds, n.headers, n.body, now_s);
}

std::vector<http::Header> vector_headers(const json::Value& v) {
  std::vector<http::Header> headers;
  for (const auto& [name, value] : v.find("headers")->members) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    headers.push_back({lower, value.string});
  }
  return headers;
}

// Proves the official wechatpay-go notification: its signature verifies with the platform
// certificate named by its serial at its own time, its resource decrypts with the 16-byte
// key to the expected plaintext, and the adapter reads it (a PAYSCORE event) as unrelated.
TEST(WechatpayAdapter, OfficialNotificationVector) {
  json::Value v = vector_json();
  const std::string& body = v.find("body")->string;
  const int64_t sent_s = 1624523846;
  auto cert = crypto::RsaPublicKey::parse(v.find("platformCertPem")->string);
  ASSERT_TRUE(cert.ok());
  PlatformKeys keys;
  keys.emplace("D7CE59D1F522D701", *cert);
  EXPECT_TRUE(wechatpay::verify_signature(vector_headers(v), body, keys, sent_s).ok());
  auto parsed = json::parse(body);
  auto plain = wechatpay::decrypt_resource(*parsed->find("resource"), v.find("apiv3Key")->string);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(*plain, v.find("expectedPlaintext")->string);

  json::Value platform = testing::object({{"D7CE59D1F522D701", *v.find("platformCertPem")}});
  auto creds =
      testing::credentials_for(adapter(), credentials_json("1234567890", "054aa7d7a2a54ab5898df65bd96f001c",
                                                           v.find("apiv3Key")->string, platform));
  auto result = testing::verify(adapter(), creds, vector_headers(v), body, sent_s + 300);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->status, ProviderStatus::unrelated);
  EXPECT_EQ(result->merchant_id, "1234567890");
}

// Proves the same vector is refused: 301 s later (stale_timestamp), with one body byte
// changed, under an unknown serial, with another merchant id configured (conflict).
TEST(WechatpayAdapter, OfficialVectorRefusals) {
  json::Value v = vector_json();
  const std::string& body = v.find("body")->string;
  const int64_t sent_s = 1624523846;
  json::Value platform = testing::object({{"D7CE59D1F522D701", *v.find("platformCertPem")}});
  auto creds =
      testing::credentials_for(adapter(), credentials_json("1234567890", "054aa7d7a2a54ab5898df65bd96f001c",
                                                           v.find("apiv3Key")->string, platform));
  EXPECT_EQ(testing::verify(adapter(), creds, vector_headers(v), body, sent_s + 301).error().code,
            Errc::stale_timestamp);
  EXPECT_EQ(testing::verify(adapter(), creds, vector_headers(v), body, sent_s - 301).error().code,
            Errc::stale_timestamp);
  std::string changed = body;
  changed[changed.find("签约成功")] ^= 1;
  EXPECT_EQ(testing::verify(adapter(), creds, vector_headers(v), changed, sent_s).error().code,
            Errc::bad_signature);
  auto headers = vector_headers(v);
  for (auto& h : headers) {
    if (h.name == "wechatpay-serial") h.value = "D7CE59D1F522D702";
  }
  EXPECT_EQ(testing::verify(adapter(), creds, headers, body, sent_s).error().code, Errc::bad_signature);
  auto other =
      testing::credentials_for(adapter(), credentials_json("1234567899", "054aa7d7a2a54ab5898df65bd96f001c",
                                                           v.find("apiv3Key")->string, platform));
  EXPECT_EQ(testing::verify(adapter(), other, vector_headers(v), body, sent_s).error().code, Errc::conflict);
}

// Proves a notification signed and encrypted like WeChat Pay verifies and reads as paid
// 499 CNY for the bill, under either configured platform key (rotation).
TEST(WechatpayAdapter, ProviderSignedRoundTrip) {
  auto result = verify(notification(transaction()));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->status, ProviderStatus::paid);
  EXPECT_EQ(result->bill_id, kBillId);
  EXPECT_EQ(result->trade_no, "4200000001");
  EXPECT_EQ(result->amount_minor, 499);
  EXPECT_EQ(result->currency, "CNY");
  auto rotated = verify(notification(transaction(), "TRANSACTION.SUCCESS", kNow,
                                     key(KeyRole::wechat_platform_2), "PUB_KEY_ID_2"));
  EXPECT_TRUE(rotated.ok());
}

// Proves every tampered field is refused: body bytes (amount, currency, merchant, app) and
// each signature header; a stale or future timestamp; an unknown serial; a key that does
// not match its serial; another APIv3 key.
TEST(WechatpayAdapter, TamperedFieldsRefused) {
  const Notification good = notification(transaction());
  ASSERT_TRUE(verify(good).ok());
  for (const char* needle : {"ciphertext", "evt-1", "TRANSACTION"}) {
    Notification n = good;
    n.body[n.body.find(needle) + 2] ^= 1;
    EXPECT_EQ(verify(n).error().code, Errc::bad_signature) << needle;
  }
  for (const auto& header : good.headers) {
    Notification n = good;
    for (auto& h : n.headers) {
      if (h.name == header.name) h.value[1] = h.value[1] == '7' ? '8' : '7';
    }
    EXPECT_FALSE(verify(n).ok()) << header.name;
  }
  EXPECT_EQ(verify(good, kNow + 301).error().code, Errc::stale_timestamp);
  EXPECT_EQ(verify(good, kNow - 301).error().code, Errc::stale_timestamp);
  EXPECT_TRUE(verify(good, kNow + 300).ok());
  EXPECT_EQ(
      verify(notification(transaction(), "TRANSACTION.SUCCESS", kNow, key(KeyRole::wechat_platform), "PUB_X"))
          .error()
          .code,
      Errc::bad_signature);
  EXPECT_EQ(
      verify(notification(transaction(), "TRANSACTION.SUCCESS", kNow, key(KeyRole::stranger))).error().code,
      Errc::bad_signature);
  EXPECT_EQ(verify(notification(transaction(), "TRANSACTION.SUCCESS", kNow, key(KeyRole::wechat_platform),
                                "PUB_KEY_ID_1", "another-apiv3-key-of-32-bytes!!!"))
                .error()
                .code,
            Errc::bad_signature);
}

// Proves correctly signed notifications for another merchant or app are conflicts (alert),
// and that amount and currency are reported exactly for the bill's check.
TEST(WechatpayAdapter, SignedMismatches) {
  EXPECT_EQ(verify(notification(transaction("1900000009"))).error().code, Errc::conflict);
  EXPECT_EQ(verify(notification(transaction("1900000001", "wx_app_9"))).error().code, Errc::conflict);
  auto usd = verify(notification(transaction("1900000001", "wx_app_1", 1, "USD")));
  ASSERT_TRUE(usd.ok());
  EXPECT_EQ(usd->amount_minor, 1);
  EXPECT_EQ(usd->currency, "USD");
}

// Proves the trade_state mapping and the refund notification.
TEST(WechatpayAdapter, StatesAndRefunds) {
  const std::pair<std::string, ProviderStatus> cases[] = {{"CLOSED", ProviderStatus::closed},
                                                          {"PAYERROR", ProviderStatus::failed},
                                                          {"NOTPAY", ProviderStatus::pending},
                                                          {"REVOKED", ProviderStatus::closed},
                                                          {"REFUND", ProviderStatus::refunded}};
  for (const auto& [state, expected] : cases) {
    auto r = verify(notification(transaction("1900000001", "wx_app_1", 499, "CNY", state)));
    ASSERT_TRUE(r.ok()) << state;
    EXPECT_EQ(r->status, expected) << state;
  }
  EXPECT_EQ(verify(notification(transaction("1900000001", "wx_app_1", 499, "CNY", "MAYBE"))).error().code,
            Errc::invalid_parameter);
  const std::string refund =
      std::string(R"({"mchid":"1900000001","out_trade_no":")") + std::string(kBillId) +
      R"(","transaction_id":"4200000001","out_refund_no":"r_1","refund_id":"5030000001",)"
      R"("refund_status":"SUCCESS","amount":{"total":499,"refund":499,"payer_total":499,)"
      R"("payer_refund":499}})";
  auto r = verify(notification(refund, "REFUND.SUCCESS"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, ProviderStatus::refunded);
  EXPECT_EQ(r->refund_amount_minor, 499);
  EXPECT_EQ(r->refund_id, "5030000001");
}

// Proves the answers: 204 without a body for accepted and ignored; the refusal's 4xx with
// {"code":"FAIL","message":...}.
TEST(WechatpayAdapter, Answers) {
  http::Response ok = adapter().answer(CallbackOutcome::accepted, nullptr);
  EXPECT_EQ(ok.status, 204);
  EXPECT_EQ(ok.body, "");
  EXPECT_EQ(adapter().answer(CallbackOutcome::ignored, nullptr).status, 204);
  Error stale{Errc::stale_timestamp, "too old"};
  http::Response refused = adapter().answer(CallbackOutcome::refused, &stale);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.body, R"({"code":"FAIL","message":"too old"})");
}

// A loopback stand-in for the API: checks Authorization like WeChat Pay, answers signed.
struct FakeApi {
  int status = 200;
  std::string answer;
  const crypto::RsaPrivateKey* signer = &key(KeyRole::wechat_platform);
  std::string expected_method = "POST";
  std::string expected_path = "/v3/pay/transactions/app";
  mutable std::string seen_body;
  Result<OutboundResponse> operator()(const OutboundRequest& request) const {
    EXPECT_EQ(request.method, expected_method);
    EXPECT_EQ(request.url, "http://127.0.0.1:1" + expected_path);
    std::string authorization;
    for (const auto& h : request.headers) {
      if (h.name == "authorization") authorization = h.value;
    }
    auto checked = wechatpay::verify_merchant_request(
        authorization, request.method, expected_path, request.body,
        key(KeyRole::wechat_merchant).public_key(), "1900000001", "MERCHANT_SERIAL_1", kNow);
    EXPECT_TRUE(checked.ok()) << (checked ? "" : checked.error().message);
    seen_body = request.body;
    OutboundResponse response{
        status, wechatpay::sign_message({"PUB_KEY_ID_1", *signer}, kNow, "RESPNONCE", answer), answer};
    return response;
  }
};

ChannelContext context(const ProviderUrls& urls) {
  return ChannelContext{generated_credentials(), urls, kNow};
}

ProviderUrls local_urls() {
  ProviderUrls urls;
  urls.wechatpay = "http://127.0.0.1:1";
  return urls;
}

PrepareInput prepare_input() {
  return PrepareInput{{std::string(kBillId), "app_1", "gem_500", 499, "CNY", 0}, "https://pay.example/cb"};
}

// Proves prepare: the signed POST /v3/pay/transactions/app with the order, then a `pay`
// object whose sign verifies with the merchant key over appid, timestamp, noncestr, prepayid.
TEST(WechatpayAdapter, PrepareAppPay) {
  const ProviderUrls urls = local_urls();
  FakeApi api;
  api.answer = R"({"prepay_id":"wx201410272009395522657a690389285100"})";
  auto pay = run_steps(adapter().prepare(context(urls), prepare_input()), Transport(std::cref(api)), 2);
  ASSERT_TRUE(pay.ok()) << pay.error().message;
  EXPECT_EQ(api.seen_body,
            std::string(R"({"appid":"wx_app_1","mchid":"1900000001","description":"gem_500",)") +
                R"("out_trade_no":")" + std::string(kBillId) +
                R"(","notify_url":"https://pay.example/cb","amount":{"total":499,"currency":"CNY"}})");
  auto object = json::parse(pay->json);
  ASSERT_TRUE(object.ok());
  auto field = [&](const char* name) { return object->find(name)->string; };
  EXPECT_EQ(field("partnerid"), "1900000001");
  EXPECT_EQ(field("package"), "Sign=WXPay");
  EXPECT_EQ(field("timestamp"), std::to_string(kNow));
  auto sign = base64::decode(field("sign"));
  ASSERT_TRUE(sign.has_value());
  EXPECT_TRUE(key(KeyRole::wechat_merchant)
                  .public_key()
                  .verify_sha256(wechatpay::app_pay_message(field("appid"), field("timestamp"),
                                                            field("noncestr"), field("prepayid")),
                                 *sign));
}

// Proves prepare refuses an answer signed by an unknown key (server_busy: unknown outcome)
// and passes on WeChat's own 400 as invalid_parameter.
TEST(WechatpayAdapter, PrepareAnswerChecked) {
  const ProviderUrls urls = local_urls();
  FakeApi forged;
  forged.answer = R"({"prepay_id":"wx1"})";
  forged.signer = &key(KeyRole::stranger);
  EXPECT_EQ(run_steps(adapter().prepare(context(urls), prepare_input()), Transport(std::cref(forged)), 2)
                .error()
                .code,
            Errc::server_busy);
  FakeApi refused;
  refused.status = 400;
  refused.answer = R"({"code":"PARAM_ERROR","message":"bad"})";
  auto r = run_steps(adapter().prepare(context(urls), prepare_input()), Transport(std::cref(refused)), 2);
  EXPECT_EQ(r.error().code, Errc::invalid_parameter);
  EXPECT_NE(r.error().message.find("PARAM_ERROR"), std::string::npos);
}

// Proves the query: signed GET by out-trade-no with mchid; a signed SUCCESS answer is paid,
// a signed 404 ORDER_NOT_EXIST is pending, a forged answer is server_busy.
TEST(WechatpayAdapter, QueryRoundTrip) {
  const ProviderUrls urls = local_urls();
  const BillView bill{std::string(kBillId), "app_1", "gem_500", 499, "CNY", 0};
  FakeApi api;
  api.expected_method = "GET";
  api.expected_path = "/v3/pay/transactions/out-trade-no/" + std::string(kBillId) + "?mchid=1900000001";
  api.answer = transaction();
  auto paid = run_steps(adapter().query(context(urls), bill), Transport(std::cref(api)), 2);
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_EQ(paid->status, ProviderStatus::paid);
  EXPECT_EQ(paid->amount_minor, 499);
  api.status = 404;
  api.answer = R"({"code":"ORDER_NOT_EXIST","message":"no such order"})";
  auto missing = run_steps(adapter().query(context(urls), bill), Transport(std::cref(api)), 2);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, ProviderStatus::pending);
  api.status = 200;
  api.answer = transaction();
  api.signer = &key(KeyRole::stranger);
  EXPECT_EQ(run_steps(adapter().query(context(urls), bill), Transport(std::cref(api)), 2).error().code,
            Errc::server_busy);
}

// Proves the refund: a signed POST /v3/refund/domestic/refunds with out_trade_no,
// out_refund_no and amount {refund,total,currency} (and notify_url when given); signed
// SUCCESS is refunded, PROCESSING pending, CLOSED a positive refusal; a forged answer is
// server_busy (outcome unknown); the adapter declares has_refund.
TEST(WechatpayAdapter, RefundRoundTrip) {
  EXPECT_TRUE(adapter().traits().has_refund);
  const ProviderUrls urls = local_urls();
  const RefundInput input{{std::string(kBillId), "app_1", "gem_500", 499, "CNY", 0}, "rf_1", 499, ""};
  FakeApi api;
  api.expected_path = "/v3/refund/domestic/refunds";
  auto answer = [](const char* status) {
    return std::string(R"({"refund_id":"50000000382019052709732678859","out_refund_no":"rf_1","status":")") +
           status + "\"}";
  };
  api.answer = answer("SUCCESS");
  auto done = run_steps(adapter().refund(context(urls), input), Transport(std::cref(api)), 2);
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(done->status, ProviderStatus::refunded);
  EXPECT_EQ(done->provider_refund_id, "50000000382019052709732678859");
  EXPECT_EQ(api.seen_body,
            std::string(R"({"out_trade_no":")") + std::string(kBillId) +
                R"(","out_refund_no":"rf_1","amount":{"refund":499,"total":499,"currency":"CNY"}})");
  RefundInput notified = input;  // the refund's notify_url goes to WeChat Pay as its own
  notified.notify_url = "https://pay.example/v1/callbacks/app_1/wechatpay";
  ASSERT_TRUE(run_steps(adapter().refund(context(urls), notified), Transport(std::cref(api)), 2).ok());
  EXPECT_NE(api.seen_body.find(R"("notify_url":"https://pay.example/v1/callbacks/app_1/wechatpay")"),
            std::string::npos)
      << api.seen_body;
  api.answer = answer("PROCESSING");
  auto waiting = run_steps(adapter().refund(context(urls), input), Transport(std::cref(api)), 2);
  ASSERT_TRUE(waiting.ok());
  EXPECT_EQ(waiting->status, ProviderStatus::pending);
  api.answer = answer("CLOSED");
  EXPECT_EQ(run_steps(adapter().refund(context(urls), input), Transport(std::cref(api)), 2).error().code,
            Errc::invalid_parameter);
  api.answer = answer("SUCCESS");
  api.signer = &key(KeyRole::stranger);
  EXPECT_EQ(run_steps(adapter().refund(context(urls), input), Transport(std::cref(api)), 2).error().code,
            Errc::server_busy);
}

// Proves credentials are validated once with every problem listed together.
TEST(WechatpayAdapter, CredentialProblemsListed) {
  auto result = adapter().parse_credentials(
      testing::object({{"appid", testing::string_value("wx")},
                       {"apiv3_key", testing::string_value("short")},
                       {"merchant_serial", testing::string_value("S")},
                       {"merchant_private_key", testing::string_value(key(KeyRole::wechat_merchant).pem())},
                       {"platform_keys", testing::object({{"K1", testing::string_value("not a key")}})}}));
  ASSERT_FALSE(result.ok());
  for (const char* part :
       {"channels.wechatpay: ", "mchid is required", "apiv3_key must be", "platform_keys.K1:"}) {
    EXPECT_NE(result.error().message.find(part), std::string::npos)
        << part << " in " << result.error().message;
  }
}

}  // namespace
}  // namespace unipay::channels
