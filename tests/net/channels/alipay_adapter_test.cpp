// net/channels/alipay_adapter: every Alipay vector of shared/vectors gives its expected
// verdict; provider-signed notifications (alipay_provider) verify and each tampered field is
// refused; the order string, the query and the refund are signed as the gateway checks them,
// and their answers are accepted only with a valid signature.
#include "net/channels/alipay_adapter.hpp"

#include <gtest/gtest.h>

#include "net/channels/alipay_format.hpp"
#include "net/channels/alipay_provider.hpp"
#include "tests/net/channels/test_support.hpp"

namespace unipay::channels {
namespace {

using testing::key;
using testing::KeyRole;

const ChannelAdapter& adapter() {
  static const auto made = make_alipay_adapter();
  return *made;
}

CredentialsPtr credentials(const std::string& app_id, const std::string& seller_id,
                           const std::string& alipay_key_text) {
  return testing::credentials_for(
      adapter(),
      testing::object({{"app_id", testing::string_value(app_id)},
                       {"seller_id", testing::string_value(seller_id)},
                       {"alipay_public_key", testing::string_value(alipay_key_text)},
                       {"app_private_key", testing::string_value(key(KeyRole::alipay_app).pem())}}));
}

CredentialsPtr generated_credentials() {
  return credentials("2021000000000001", "2088000000000002",
                     key(KeyRole::alipay_platform).public_key().pem());
}

// A vector's postData as the form body Alipay posts (nested values as compact JSON).
std::string vector_form(const json::Value& post_data) {
  form::Fields fields;
  for (const auto& [name, value] : post_data.members) {
    fields.emplace_back(name,
                        value.kind == json::Value::Kind::string ? value.string : json::serialize(value));
  }
  return form::encode(fields);
}

form::Fields trade_fields(const std::string& amount = "4.99") {
  return {{"notify_type", "trade_status_sync"},
          {"notify_id", "n1"},
          {"app_id", "2021000000000001"},
          {"seller_id", "2088000000000002"},
          {"out_trade_no", "b_01HZZZZZZZZZZZZZZZZZZZZZZZ"},
          {"trade_no", "2024010122001400000000000001"},
          {"trade_status", "TRADE_SUCCESS"},
          {"total_amount", amount},
          {"subject", "gem pack 500"},
          {"charset", "utf-8"}};
}

std::string signed_trade(form::Fields fields = trade_fields()) {
  return alipay::sign_notification(std::move(fields), key(KeyRole::alipay_platform));
}

Result<ProviderResult> verify_body(std::string_view body,
                                   const CredentialsPtr& creds = generated_credentials()) {
  return testing::verify(adapter(), creds, {}, body, 1700000000);
}

// Proves each of the six real notifications of the official Node SDK suite gives its
// `expect`: the four valid ones verify (trade_status_sync signed without sign_type,
// servicemarket ones with it, also when sign_type is absent from the body), the two forged
// ones are refused; trade notifications read as paid 0.10 CNY, others as unrelated.
TEST(AlipayAdapter, RealNotificationVectors) {
  json::Value vectors = testing::read_json(testing::vector_path("alipay/real_notifies.json"));
  ASSERT_EQ(vectors.items.size(), 6u);
  for (const json::Value& v : vectors.items) {
    SCOPED_TRACE(v.find("name")->string);
    const json::Value& post = *v.find("postData");
    const std::string body = vector_form(post);
    auto key_text = v.find("alipayPublicKey")->string;
    auto public_key = crypto::RsaPublicKey::parse(key_text);
    ASSERT_TRUE(public_key.ok());
    const bool expect = v.find("expect")->boolean;
    EXPECT_EQ(alipay::verify_notification(body, *public_key).ok(), expect);

    const json::Value* seller = post.find("seller_id");
    auto result = verify_body(
        body, credentials(post.find("app_id")->string, seller ? seller->string : "none", key_text));
    ASSERT_EQ(result.ok(), expect) << (result ? "" : result.error().message);
    if (!expect) {
      EXPECT_EQ(result.error().code, Errc::bad_signature);
    } else if (post.find("notify_type")->string == "trade_status_sync") {
      EXPECT_EQ(result->status, ProviderStatus::paid);
      EXPECT_EQ(result->bill_id, "20190815155618536-564-57");
      EXPECT_EQ(result->trade_no, "2019081522001468450512505578");
      EXPECT_EQ(result->amount_minor, 10);
      EXPECT_EQ(result->currency, "CNY");
      EXPECT_EQ(result->merchant_id, "2088531891668739");
    } else {
      EXPECT_EQ(result->status, ProviderStatus::unrelated);
    }
  }
}

// Proves the .form bodies verify with their PEM keys and that the canonical string built
// from them is byte for byte the signed text of the vector (without sign_type for the
// trade notification, with it for the servicemarket one).
TEST(AlipayAdapter, FormVectorsAndCanonicalText) {
  for (auto [n, with_type] : {std::pair{0, false}, std::pair{3, true}}) {
    const std::string prefix = "alipay/real_notify_" + std::to_string(n);
    const std::string body = testing::read_file(testing::vector_path(prefix + ".form"));
    auto public_key =
        crypto::RsaPublicKey::parse(testing::read_file(testing::vector_path(prefix + ".alipay_pub.pem")));
    ASSERT_TRUE(public_key.ok());
    auto fields = alipay::verify_notification(body, *public_key);
    ASSERT_TRUE(fields.ok()) << n;
    EXPECT_EQ(alipay::sign_content(*fields, with_type),
              testing::read_file(testing::vector_path(prefix + ".canonical.txt")));
  }
  EXPECT_EQ(testing::read_file(testing::vector_path("alipay/real_notify_1.canonical.txt")),
            testing::read_file(testing::vector_path("alipay/real_notify_0.canonical.txt")));
}

// Proves a notification signed like Alipay (provider side, run-time key) verifies and reads
// as paid with exact minor units, in either canonical form.
TEST(AlipayAdapter, ProviderSignedRoundTrip) {
  for (bool with_type : {false, true}) {
    auto result =
        verify_body(alipay::sign_notification(trade_fields(), key(KeyRole::alipay_platform), with_type));
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->status, ProviderStatus::paid);
    EXPECT_EQ(result->bill_id, "b_01HZZZZZZZZZZZZZZZZZZZZZZZ");
    EXPECT_EQ(result->amount_minor, 499);
    EXPECT_EQ(result->currency, "CNY");
    EXPECT_EQ(result->provider_app_id, "2021000000000001");
  }
}

std::string replace_field(const std::string& body, const std::string& key, const std::string& value) {
  auto fields = form::parse(body, 100);
  EXPECT_TRUE(fields.ok());
  for (auto& f : *fields) {
    if (f.first == key) f.second = value;
  }
  return form::encode(*fields);
}

// Proves every tampered field is refused as bad_signature: the sign itself, the amount, the
// currency, the merchant, the app, the order, the status, sign_type; and a notification
// signed by another key.
TEST(AlipayAdapter, TamperedFieldsRefused) {
  const std::string body = signed_trade();
  ASSERT_TRUE(verify_body(body).ok());
  const std::pair<std::string, std::string> tampered[] = {{"total_amount", "0.01"},
                                                          {"seller_id", "2088000000000009"},
                                                          {"app_id", "2021000000000009"},
                                                          {"out_trade_no", "b_01HZZZZZZZZZZZZZZZZZZZZZZY"},
                                                          {"trade_status", "TRADE_FINISHED"},
                                                          {"sign_type", "RSA"},
                                                          {"trade_no", "2024010122001400000000000002"}};
  for (const auto& [field, value] : tampered) {
    auto result = verify_body(replace_field(body, field, value));
    ASSERT_FALSE(result.ok()) << field;
    EXPECT_EQ(result.error().code, Errc::bad_signature) << field;
  }
  auto fields = form::parse(body, 100);  // kept: find() answers a view into it
  auto sign = form::find(*fields, "sign");
  std::string other_sign = *sign;
  other_sign[5] = other_sign[5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(verify_body(replace_field(body, "sign", other_sign)).error().code, Errc::bad_signature);
  EXPECT_EQ(verify_body(body + "&trans_currency=USD").error().code, Errc::bad_signature);
  EXPECT_EQ(verify_body(alipay::sign_notification(trade_fields(), key(KeyRole::stranger))).error().code,
            Errc::bad_signature);
}

// Proves a correctly signed notification naming another merchant or provider app is a
// conflict (alert), and one in another currency is reported as such for the bill check.
TEST(AlipayAdapter, SignedMismatchesRefusedOrReported) {
  auto fields = trade_fields();
  fields[3].second = "2088000000000009";  // seller_id
  EXPECT_EQ(verify_body(signed_trade(fields)).error().code, Errc::conflict);
  fields = trade_fields();
  fields[2].second = "2021000000000009";  // app_id
  EXPECT_EQ(verify_body(signed_trade(fields)).error().code, Errc::conflict);
  fields = trade_fields("499");
  fields.emplace_back("trans_currency", "JPY");
  auto jpy = verify_body(signed_trade(fields));
  ASSERT_TRUE(jpy.ok());
  EXPECT_EQ(jpy->currency, "JPY");
  EXPECT_EQ(jpy->amount_minor, 499);
}

// Proves malformed bodies and amounts are refused as invalid_parameter even when signed:
// too many decimals, a non-number, duplicate keys, bad escapes, an unknown trade_status.
TEST(AlipayAdapter, MalformedRefused) {
  EXPECT_EQ(verify_body(signed_trade(trade_fields("4.999"))).error().code, Errc::invalid_parameter);
  EXPECT_EQ(verify_body(signed_trade(trade_fields("4,99"))).error().code, Errc::invalid_parameter);
  EXPECT_EQ(verify_body(signed_trade(trade_fields("-4.99"))).error().code, Errc::invalid_parameter);
  auto fields = trade_fields();
  fields[6].second = "TRADE_PAID_MAYBE";
  EXPECT_EQ(verify_body(signed_trade(fields)).error().code, Errc::invalid_parameter);
  const std::string body = signed_trade();
  EXPECT_EQ(verify_body(body + "&app_id=2021000000000001").error().code, Errc::invalid_parameter);
  EXPECT_EQ(verify_body(body + "&x=%G1").error().code, Errc::invalid_parameter);
  EXPECT_EQ(verify_body("").error().code, Errc::bad_signature);
}

// Proves the status mapping: TRADE_FINISHED paid, TRADE_CLOSED closed, WAIT_BUYER_PAY
// pending, a refund_fee makes it a refund notification with the refunded amount.
TEST(AlipayAdapter, TradeStatusMapping) {
  const std::pair<std::string, ProviderStatus> cases[] = {{"TRADE_FINISHED", ProviderStatus::paid},
                                                          {"TRADE_CLOSED", ProviderStatus::closed},
                                                          {"WAIT_BUYER_PAY", ProviderStatus::pending}};
  for (const auto& [status, expected] : cases) {
    auto fields = trade_fields();
    fields[6].second = status;
    auto result = verify_body(signed_trade(fields));
    ASSERT_TRUE(result.ok()) << status;
    EXPECT_EQ(result->status, expected) << status;
  }
  auto fields = trade_fields();
  fields[6].second = "TRADE_CLOSED";
  fields.emplace_back("refund_fee", "4.99");
  fields.emplace_back("out_biz_no", "r_1");
  auto refund = verify_body(signed_trade(fields));
  ASSERT_TRUE(refund.ok());
  EXPECT_EQ(refund->status, ProviderStatus::refunded);
  EXPECT_EQ(refund->refund_amount_minor, 499);
  EXPECT_EQ(refund->refund_id, "r_1");
}

// Proves the exact answers: "success" (200, text/plain) for accepted and ignored, "failure"
// with the refusal's non-2xx status.
TEST(AlipayAdapter, Answers) {
  EXPECT_EQ(adapter().answer(CallbackOutcome::accepted, nullptr).body, "success");
  EXPECT_EQ(adapter().answer(CallbackOutcome::ignored, nullptr).status, 200);
  Error bad{Errc::bad_signature, "x"};
  http::Response refused = adapter().answer(CallbackOutcome::refused, &bad);
  EXPECT_EQ(refused.body, "failure");
  EXPECT_EQ(refused.status, 401);
  Error conflict{Errc::conflict, "x"};
  EXPECT_EQ(adapter().answer(CallbackOutcome::refused, &conflict).status, 409);
}

// Proves the app-pay order string carries the alipay.trade.app.pay parameters, Beijing-time
// timestamp and biz_content, and that its sign verifies as the gateway checks it.
TEST(AlipayAdapter, PrepareOrderString) {
  ProviderUrls urls;
  ChannelContext context{generated_credentials(), urls, 1700000000};
  PrepareInput input{{"b_01HZZZZZZZZZZZZZZZZZZZZZZZ", "app_1", "gem_500", 499, "CNY", 0},
                     "https://pay.example/cb"};
  auto step = adapter().prepare(context, input);
  ASSERT_TRUE(step.done());
  ASSERT_TRUE(step.result().ok());
  auto pay = json::parse(step.result()->json);
  ASSERT_TRUE(pay.ok());
  auto fields = form::parse(pay->find("order_string")->string, 100);
  ASSERT_TRUE(fields.ok());
  EXPECT_TRUE(alipay::verify_gateway_request(*fields, key(KeyRole::alipay_app).public_key()).ok());
  EXPECT_EQ(*form::find(*fields, "method"), "alipay.trade.app.pay");
  EXPECT_EQ(*form::find(*fields, "timestamp"), "2023-11-15 06:13:20");
  EXPECT_EQ(*form::find(*fields, "notify_url"), "https://pay.example/cb");
  EXPECT_EQ(*form::find(*fields, "biz_content"),
            R"({"out_trade_no":"b_01HZZZZZZZZZZZZZZZZZZZZZZZ","total_amount":"4.99","subject":"gem_500",)"
            R"("product_code":"QUICK_MSECURITY_PAY"})");
  EXPECT_FALSE(alipay::verify_gateway_request(*fields, key(KeyRole::stranger).public_key()).ok());
}

// A loopback stand-in for the gateway: checks the request like Alipay, answers `inner`.
struct FakeGateway {
  std::string inner;
  bool tamper_after_signing = false;
  std::string method = "alipay.trade.query";
  std::string* biz_seen = nullptr;  // receives the request's biz_content when set
  Result<OutboundResponse> operator()(const OutboundRequest& request) const {
    auto fields = form::parse(request.body, 100);
    EXPECT_TRUE(fields.ok());
    EXPECT_TRUE(alipay::verify_gateway_request(*fields, key(KeyRole::alipay_app).public_key()).ok());
    EXPECT_EQ(*form::find(*fields, "method"), method);
    EXPECT_EQ(request.url, "http://127.0.0.1:1/gateway.do");
    if (biz_seen) *biz_seen = *form::find(*fields, "biz_content");
    std::string body = alipay::signed_gateway_answer(method, inner, key(KeyRole::alipay_platform));
    if (tamper_after_signing) body.replace(body.find("4.99"), 4, "0.01");
    return OutboundResponse{200, {}, body};
  }
};

Result<ProviderResult> run_query(const FakeGateway& gateway) {
  ProviderUrls urls;
  urls.alipay = "http://127.0.0.1:1/gateway.do";
  ChannelContext context{generated_credentials(), urls, 1700000000};
  BillView bill{"b_01HZZZZZZZZZZZZZZZZZZZZZZZ", "app_1", "gem_500", 499, "CNY", 0};
  return run_steps(adapter().query(context, bill), Transport(gateway), 2);
}

// Proves the query round trip: a signed TRADE_SUCCESS answer reads as paid 4.99 → 499; a
// signed ACQ.TRADE_NOT_EXIST as pending; an answer changed after signing, an unsigned error
// and an answer about another order are server_busy (outcome unknown, retried).
TEST(AlipayAdapter, QueryRoundTrip) {
  const std::string paid = R"({"code":"10000","msg":"Success","out_trade_no":"b_01HZZZZZZZZZZZZZZZZZZZZZZZ",)"
                           R"("trade_no":"2024","trade_status":"TRADE_SUCCESS","total_amount":"4.99"})";
  auto result = run_query({paid});
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->status, ProviderStatus::paid);
  EXPECT_EQ(result->amount_minor, 499);
  auto missing = run_query({R"({"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST"})"});
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, ProviderStatus::pending);
  EXPECT_EQ(run_query({paid, true}).error().code, Errc::server_busy);
  std::string other = paid;
  other.replace(other.find("ZZZ\""), 4, "ZZY\"");
  EXPECT_EQ(run_query({other}).error().code, Errc::server_busy);
  Transport unsigned_error = [](const OutboundRequest&) -> Result<OutboundResponse> {
    return OutboundResponse{200, {}, R"({"error_response":{"code":"40002","msg":"Invalid Arguments"}})"};
  };
  ProviderUrls urls;
  ChannelContext context{generated_credentials(), urls, 1700000000};
  auto step = adapter().query(context, BillView{"b_1", "app_1", "i", 1, "CNY", 0});
  EXPECT_EQ(run_steps(std::move(step), unsigned_error, 2).error().code, Errc::server_busy);
}

Result<RefundResult> run_refund(const FakeGateway& gateway) {
  ProviderUrls urls;
  urls.alipay = "http://127.0.0.1:1/gateway.do";
  ChannelContext context{generated_credentials(), urls, 1700000000};
  RefundInput input{
      {"b_01HZZZZZZZZZZZZZZZZZZZZZZZ", "app_1", "gem_500", 499, "CNY", 0}, "rf_1", 499, "player asked"};
  return run_steps(adapter().refund(context, input), Transport(gateway), 2);
}

// Proves the refund round trip: the signed alipay.trade.refund request carries out_trade_no =
// bill id, refund_amount 4.99 from 499 minor units and out_request_no = the refund id; a signed
// fund_change Y answer reads as refunded, a repeated request's fund_change N with refund_fee
// too; an answer changed after signing is server_busy (unknown), a signed business failure a
// positive refusal, and the adapter declares has_refund.
TEST(AlipayAdapter, RefundRoundTrip) {
  EXPECT_TRUE(adapter().traits().has_refund);
  const std::string done = R"({"code":"10000","msg":"Success","out_trade_no":"b_01HZZZZZZZZZZZZZZZZZZZZZZZ",)"
                           R"("trade_no":"2024","fund_change":"Y","refund_fee":"4.99"})";
  std::string biz;
  FakeGateway gateway{done, false, "alipay.trade.refund", &biz};
  auto result = run_refund(gateway);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->status, ProviderStatus::refunded);
  EXPECT_EQ(result->provider_refund_id, "2024");
  EXPECT_EQ(biz, R"({"out_trade_no":"b_01HZZZZZZZZZZZZZZZZZZZZZZZ","refund_amount":"4.99",)"
                 R"("out_request_no":"rf_1","refund_reason":"player asked"})");
  std::string again = done;
  again.replace(again.find("\"Y\""), 3, "\"N\"");
  auto repeated = run_refund({again, false, "alipay.trade.refund"});
  ASSERT_TRUE(repeated.ok());
  EXPECT_EQ(repeated->status, ProviderStatus::refunded);
  EXPECT_EQ(run_refund({done, true, "alipay.trade.refund"}).error().code, Errc::server_busy);
  auto refused =
      run_refund({R"({"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_STATUS_ERROR"})", false,
                  "alipay.trade.refund"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::invalid_parameter);
}

// Proves credentials are validated once with every problem listed together.
TEST(AlipayAdapter, CredentialProblemsListed) {
  auto result =
      adapter().parse_credentials(testing::object({{"seller_id", testing::string_value("")},
                                                   {"alipay_public_key", testing::string_value("nope")},
                                                   {"app_private_key", testing::string_value("nope")},
                                                   {"extra", testing::string_value("x")}}));
  ASSERT_FALSE(result.ok());
  const std::string& m = result.error().message;
  EXPECT_EQ(result.error().code, Errc::invalid_parameter);
  for (const char* part : {"channels.alipay: ", "app_id is required", "seller_id must be",
                           "alipay_public_key:", "app_private_key:", "unknown field extra"}) {
    EXPECT_NE(m.find(part), std::string::npos) << part << " in " << m;
  }
}

}  // namespace
}  // namespace unipay::channels
