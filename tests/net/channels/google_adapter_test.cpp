// net/channels/google_adapter (and google_auth): a purchase token is checked through
// service-account OAuth (an RS256 assertion that verifies with the account's key), the Play
// Developer API answer is tied to the bill and acknowledged, the access token is reused; a
// Pub/Sub push verifies its OIDC token (key by kid, audience, issuer, time) before its
// notification is queried; voided purchases are refunds. Keys are made at test time.
#include "net/channels/google_adapter.hpp"

#include <gtest/gtest.h>

#include "net/base64.hpp"
#include "net/channels/form.hpp"
#include "net/channels/jose.hpp"
#include "net/channels/json_fields.hpp"
#include "tests/net/channels/test_support.hpp"

namespace unipay::channels {
namespace {

constexpr int64_t kNow = 1764000000;
constexpr std::string_view kBillId = "b_01HZZZZZZZZZZZZZZZZZZZZZZZ";
constexpr std::string_view kAudience = "https://pay.example/v1/callbacks/app_1/google";

const ChannelAdapter& adapter() {
  static const auto made = make_google_adapter();
  return *made;
}

// Made once per process: RSA keygen is slow.
const crypto::RsaPrivateKey& service_key() {
  static const auto key = crypto::RsaPrivateKey::generate(2048);
  return key;
}
const crypto::RsaPrivateKey& google_signer() {
  static const auto key = crypto::RsaPrivateKey::generate(2048);
  return key;
}

CredentialsPtr credentials() {
  return testing::credentials_for(
      adapter(),
      testing::object(
          {{"package_name", testing::string_value("com.example.game")},
           {"service_account",
            testing::object(
                {{"client_email", testing::string_value("unipay@example.iam.gserviceaccount.com")},
                 {"private_key", testing::string_value(service_key().pem())},
                 {"token_uri", testing::string_value("http://127.0.0.1:2/token")}})},
           {"pubsub_audience", testing::string_value(std::string(kAudience))},
           {"pubsub_certs",
            testing::object({{"kid-1", testing::string_value(google_signer().public_key().pem())}})},
           {"products", testing::object({{"gems_500", testing::string_value("gem_500")}})}}));
}

ProviderUrls local_urls() {
  ProviderUrls urls;
  urls.google = "http://127.0.0.1:1";
  return urls;
}

const std::string kPurchaseUrl =
    "http://127.0.0.1:1/androidpublisher/v3/applications/com.example.game/purchases/products/gems_500/tokens/"
    "tok-1";

// A stand-in for Google: the token endpoint checks the assertion like Google does; the
// purchase answer and the calls seen are the test's to set and read.
struct FakeGoogle {
  std::string purchase = std::string(R"({"purchaseState":0,"acknowledgementState":0,"orderId":"GPA.1234",)") +
                         R"("obfuscatedExternalAccountId":")" + std::string(kBillId) + "\"}";
  int purchase_status = 200;
  int token_status = 200;
  std::vector<std::string> calls;
  Result<OutboundResponse> operator()(const OutboundRequest& request) {
    calls.push_back(request.method + " " + request.url);
    if (request.url == "http://127.0.0.1:2/token") return token(request);
    EXPECT_EQ(request.headers.at(0).value, "Bearer ya29.token");
    if (request.url == kPurchaseUrl) return OutboundResponse{purchase_status, {}, purchase};
    if (request.url == kPurchaseUrl + ":acknowledge") return OutboundResponse{200, {}, "{}"};
    return OutboundResponse{404, {}, "{}"};
  }
  OutboundResponse token(const OutboundRequest& request) {
    auto fields = form::parse(request.body, 8);
    EXPECT_EQ(*form::find(*fields, "grant_type"), "urn:ietf:params:oauth:grant-type:jwt-bearer");
    auto jwt = jose::parse_compact(*form::find(*fields, "assertion"), jose::kMaxJwsBytes, {});
    EXPECT_TRUE(service_key().public_key().verify_sha256(jwt->signing_input, jwt->signature));
    EXPECT_EQ(text_of(jwt->payload, "iss"), "unipay@example.iam.gserviceaccount.com");
    EXPECT_EQ(text_of(jwt->payload, "scope"), google::kPublisherScope);
    EXPECT_EQ(text_of(jwt->payload, "aud"), "http://127.0.0.1:2/token");
    EXPECT_EQ(integer_of(jwt->payload, "exp"), kNow + 3600);
    return OutboundResponse{
        token_status, {}, R"({"access_token":"ya29.token","expires_in":3599,"token_type":"Bearer"})"};
  }
};

Result<ProviderResult> receipt(FakeGoogle& api, const CredentialsPtr& creds, std::string item = "gem_500") {
  const ProviderUrls urls = local_urls();
  const BillView bill{std::string(kBillId), "app_1", std::move(item), 499, "USD", 0};
  return run_steps(
      adapter().verify_receipt(ChannelContext{creds, urls, kNow}, bill, "tok-1"),
      [&api](const OutboundRequest& r) { return api(r); }, 4);
}

// Proves the receipt flow: token (assertion checked above), purchases.products.get, then
// :acknowledge; paid for the bill with the orderId as trade number and the bill's amount;
// a second receipt reuses the cached access token; prepare hands out the bill id.
TEST(GoogleAdapter, ReceiptVerifiedAndAcknowledged) {
  FakeGoogle api;
  auto creds = credentials();
  auto paid = receipt(api, creds);
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_EQ(paid->status, ProviderStatus::paid);
  EXPECT_EQ(paid->bill_id, kBillId);
  EXPECT_EQ(paid->trade_no, "GPA.1234");
  EXPECT_EQ(paid->amount_minor, 499);
  EXPECT_EQ(api.calls, (std::vector<std::string>{"POST http://127.0.0.1:2/token", "GET " + kPurchaseUrl,
                                                 "POST " + kPurchaseUrl + ":acknowledge"}));
  api.calls.clear();
  api.purchase =
      R"({"purchaseState":0,"acknowledgementState":1,"orderId":"GPA.1234","obfuscatedExternalAccountId":")" +
      std::string(kBillId) + "\"}";
  ASSERT_TRUE(receipt(api, creds).ok());
  EXPECT_EQ(api.calls, (std::vector<std::string>{"GET " + kPurchaseUrl}));
  static const ProviderUrls urls;
  auto pay = adapter().prepare(ChannelContext{creds, urls, kNow},
                               PrepareInput{{std::string(kBillId), "app_1", "gem_500", 499, "USD", 0}, ""});
  EXPECT_EQ(pay.result()->json, R"({"obfuscated_account_id":")" + std::string(kBillId) + "\"}");
}

// Proves the refusals: another bill's obfuscatedExternalAccountId (conflict), an item no
// product maps to, an unknown token (404: invalid_parameter), a pending purchase (pending,
// not acknowledged), a canceled one (invalid_parameter: the bill stays payable), the token
// endpoint down (server_busy: unknown outcome).
TEST(GoogleAdapter, ReceiptRefusals) {
  FakeGoogle other;
  other.purchase =
      R"({"purchaseState":0,"orderId":"GPA.9","obfuscatedExternalAccountId":"b_01HZZZZZZZZZZZZZZZZZZZZZZY"})";
  EXPECT_EQ(receipt(other, credentials()).error().code, Errc::conflict);
  FakeGoogle api;
  EXPECT_EQ(receipt(api, credentials(), "gem_100").error().code, Errc::invalid_parameter);
  FakeGoogle missing;
  missing.purchase_status = 404;
  EXPECT_EQ(receipt(missing, credentials()).error().code, Errc::invalid_parameter);
  FakeGoogle pending;
  pending.purchase = R"({"purchaseState":2,"obfuscatedExternalAccountId":")" + std::string(kBillId) + "\"}";
  auto result = receipt(pending, credentials());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->status, ProviderStatus::pending);
  EXPECT_EQ(pending.calls.size(), 2u);
  FakeGoogle canceled;
  canceled.purchase = R"({"purchaseState":1,"orderId":"GPA.1234","obfuscatedExternalAccountId":")" +
                      std::string(kBillId) + "\"}";
  EXPECT_EQ(receipt(canceled, credentials()).error().code, Errc::invalid_parameter);
  EXPECT_EQ(canceled.calls.size(), 2u);  // token, get: never acknowledged
  FakeGoogle down;
  down.token_status = 503;
  EXPECT_EQ(receipt(down, credentials()).error().code, Errc::server_busy);
}

std::string push_token(std::string_view audience = kAudience, std::string_view issuer = google::kPushIssuer,
                       std::string_view kid = "kid-1", int64_t iat = kNow,
                       const crypto::RsaPrivateKey& key = google_signer()) {
  json::Writer claims;
  claims.begin_object().key("aud").string(audience).key("iss").string(issuer);
  claims.key("email").string("pubsub@example.iam.gserviceaccount.com").key("iat").integer(iat);
  claims.key("exp").integer(iat + 3600).end_object();
  return "Bearer " + *jose::sign_rs256(jose::rs256_header(kid), claims.str(), key);
}

std::string push_body(std::string_view notification_json) {
  return R"({"message":{"data":")" + base64::encode(notification_json) +
         R"(","messageId":"m-1"},"subscription":"projects/p/subscriptions/s"})";
}

const std::string kPurchased =
    R"({"version":"1.0","packageName":"com.example.game","eventTimeMillis":"1764000000000",)"
    R"("oneTimeProductNotification":{"version":"1.0","notificationType":1,"purchaseToken":"tok-1","sku":"gems_500"}})";

Result<ProviderResult> push(FakeGoogle& api, const std::string& authorization, const std::string& body,
                            bool answered_before = false) {
  const ProviderUrls urls = local_urls();
  std::vector<http::Header> headers{{"authorization", authorization}};
  auto step = adapter().verify_callback(ChannelContext{credentials(), urls, kNow},
                                        CallbackInput{headers, body, {}, answered_before});
  return run_steps(
      std::move(step), [&api](const OutboundRequest& r) { return api(r); }, 4);
}

// Proves a verified push of a purchase is queried and read as paid for the bill named by
// obfuscatedExternalAccountId, naming the item the app maps the sku to (a push names no bill,
// so the bill's actor compares that item); a voided purchase is refunded by orderId; another package is
// a conflict; a test notification unrelated.
TEST(GoogleAdapter, PushNotifications) {
  FakeGoogle api;
  auto paid = push(api, push_token(), push_body(kPurchased));
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_EQ(paid->status, ProviderStatus::paid);
  EXPECT_EQ(paid->bill_id, kBillId);
  EXPECT_EQ(paid->item_id, "gem_500");
  auto voided =
      push(api, push_token(),
           push_body(R"({"packageName":"com.example.game","voidedPurchaseNotification":)"
                     R"({"purchaseToken":"tok-1","orderId":"GPA.1234","productType":2,"refundType":1}})"));
  ASSERT_TRUE(voided.ok());
  EXPECT_EQ(voided->status, ProviderStatus::refunded);
  EXPECT_EQ(voided->trade_no, "GPA.1234");
  EXPECT_EQ(
      push(api, push_token(), push_body(R"({"packageName":"com.other","testNotification":{}})")).error().code,
      Errc::conflict);
  auto test =
      push(api, push_token(), push_body(R"({"packageName":"com.example.game","testNotification":{}})"));
  ASSERT_TRUE(test.ok());
  EXPECT_EQ(test->status, ProviderStatus::unrelated);
}

// Proves forged pushes are refused before any API call: bad audience, other issuer, unknown
// kid, another signing key, expired token, no bearer.
TEST(GoogleAdapter, ForgedPushesRefused) {
  FakeGoogle api;
  EXPECT_EQ(push(api, push_token("https://evil.example"), push_body(kPurchased)).error().code,
            Errc::bad_signature);
  EXPECT_EQ(push(api, push_token(kAudience, "https://evil.example"), push_body(kPurchased)).error().code,
            Errc::bad_signature);
  EXPECT_EQ(
      push(api, push_token(kAudience, google::kPushIssuer, "kid-9"), push_body(kPurchased)).error().code,
      Errc::bad_signature);
  EXPECT_EQ(push(api, push_token(kAudience, google::kPushIssuer, "kid-1", kNow, service_key()),
                 push_body(kPurchased))
                .error()
                .code,
            Errc::bad_signature);
  EXPECT_EQ(
      push(api, push_token(kAudience, google::kPushIssuer, "kid-1", kNow - 3600 - 301), push_body(kPurchased))
          .error()
          .code,
      Errc::stale_timestamp);
  EXPECT_EQ(push(api, "", push_body(kPurchased)).error().code, Errc::unauthorized);
  EXPECT_TRUE(api.calls.empty());
}

// Proves a push's delivery id is Pub/Sub's messageId ("" for a body without one), and a push
// the handler answered before is, once its token verifies, unrelated without any API call;
// a forged one is still refused (the memory never stands in for the token).
TEST(GoogleAdapter, RepeatedPushesAnsweredWithoutTheApi) {
  const std::vector<http::Header> none;
  const std::string body = push_body(kPurchased);
  EXPECT_EQ(adapter().delivery_id(CallbackInput{none, body, {}}), "m-1");
  EXPECT_EQ(adapter().delivery_id(CallbackInput{none, "{\"message\":{}}", {}}), "");
  EXPECT_EQ(adapter().delivery_id(CallbackInput{none, "not json", {}}), "");
  FakeGoogle api;
  auto repeat = push(api, push_token(), body, true);
  ASSERT_TRUE(repeat.ok()) << repeat.error().message;
  EXPECT_EQ(repeat->status, ProviderStatus::unrelated);
  EXPECT_TRUE(api.calls.empty());
  EXPECT_EQ(push(api, push_token("https://evil.example"), body, true).error().code, Errc::bad_signature);
  EXPECT_TRUE(api.calls.empty());
}

// Proves credentials are checked once with every problem listed together.
TEST(GoogleAdapter, CredentialProblemsListed) {
  auto result = adapter().parse_credentials(
      testing::object({{"package_name", testing::string_value("com.example.game")},
                       {"service_account", testing::object({{"client_email", testing::string_value("a@b")},
                                                            {"private_key", testing::string_value("nope")}})},
                       {"pubsub_certs", testing::object({{"kid-1", testing::string_value("not a key")}})},
                       {"products", testing::object({})}}));
  ASSERT_FALSE(result.ok());
  for (const char* part : {"channels.google: ", "service_account: private_key:", "token_uri is required",
                           "pubsub_audience is required", "pubsub_certs.kid-1:", "products must map"}) {
    EXPECT_NE(result.error().message.find(part), std::string::npos)
        << part << " in " << result.error().message;
  }
}

}  // namespace
}  // namespace unipay::channels
