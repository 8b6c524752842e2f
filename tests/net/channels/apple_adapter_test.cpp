// net/channels/apple_adapter: every Apple vector (App Store Server Library test resources)
// gets its expected verdict; transactions signed by a run-time PKI like the App Store's are
// tied to their bill by appAccountToken and productId, and each forgery is refused; the
// App Store Server API lookup sends a valid ES256 token and accepts only signed answers.
#include "net/channels/apple_adapter.hpp"

#include <gtest/gtest.h>

#include "net/base64.hpp"
#include "net/channels/app_account_token.hpp"
#include "net/channels/apple_provider.hpp"
#include "net/channels/json_fields.hpp"
#include "tests/net/channels/test_support.hpp"

namespace unipay::channels {
namespace {

constexpr int64_t kNow = 1764000000;  // 2025-11-24: after the vectors' 2023 signedDates
constexpr int64_t kYearS = 365 * 86400;
constexpr std::string_view kBillId = "b_01HZZZZZZZZZZZZZZZZZZZZZZZ";

const ChannelAdapter& adapter() {
  static const auto made = make_apple_adapter();
  return *made;
}

std::string vector_text(const std::string& name) {
  std::string text = testing::read_file(testing::vector_path("apple/" + name));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

json::Value array_of(std::vector<std::string> texts) {
  json::Value v;
  v.kind = json::Value::Kind::array;
  for (auto& t : texts) v.items.push_back(testing::string_value(std::move(t)));
  return v;
}

json::Value credentials_json(std::string root, std::string environment = "Sandbox",
                             std::string bundle_id = "com.example") {
  return testing::object(
      {{"bundle_id", testing::string_value(std::move(bundle_id))},
       {"environment", testing::string_value(std::move(environment))},
       {"root_certificates", array_of({std::move(root)})},
       {"issuer_id", testing::string_value("57246542-96fe-1a63-e053-0824d011072a")},
       {"key_id", testing::string_value("2X9R4HXF34")},
       {"private_key", testing::string_value(vector_text("testSigningKey.p8"))},
       {"products", testing::object({{"com.example.gems500", testing::string_value("gem_500")},
                                     {"com.example.gems100", testing::string_value("gem_100")}})}});
}

// The vectors' root as Apple ships it (DER), given base64 like a .cer pasted into the admin API.
std::shared_ptr<const AppleCredentials> vector_credentials(std::string environment = "Sandbox") {
  auto creds = testing::credentials_for(
      adapter(),
      credentials_json(base64::encode(testing::read_file(testing::vector_path("apple/testCA.der"))),
                       std::move(environment)));
  return std::dynamic_pointer_cast<const AppleCredentials>(creds);
}

// Proves the valid vectors verify to the test root at their own signedDate: transactionInfo
// as a transaction of com.example in Sandbox, testNotification as a notification (a TEST
// one, which the adapter acknowledges as unrelated), renewalInfo as signed data in Sandbox.
TEST(AppleAdapter, ValidVectorsVerify) {
  auto creds = vector_credentials();
  auto tx = apple::verify_transaction(vector_text("transactionInfo"), *creds, kNow);
  ASSERT_TRUE(tx.ok()) << tx.error().message;
  EXPECT_EQ(text_of(*tx, "bundleId"), "com.example");
  auto notification = apple::verify_notification(vector_text("testNotification"), *creds, kNow);
  ASSERT_TRUE(notification.ok()) << notification.error().message;
  EXPECT_EQ(text_of(*notification, "notificationType"), "TEST");
  auto renewal = apple::verify_signed_data(vector_text("renewalInfo"), creds->root_certificates, kNow);
  ASSERT_TRUE(renewal.ok()) << renewal.error().message;
  EXPECT_EQ(text_of(*renewal, "environment"), "Sandbox");

  const std::string body = R"({"signedPayload":")" + vector_text("testNotification") + "\"}";
  auto callback = testing::verify(adapter(), creds, {}, body, kNow);
  ASSERT_TRUE(callback.ok()) << callback.error().message;
  EXPECT_EQ(callback->status, ProviderStatus::unrelated);
}

// Proves the refused vectors: wrongBundleId's chain and signature verify but its bundle id is
// another app's (conflict); missingX5CHeaderClaim has no x5c (bad_signature); legacyTransaction
// is a StoreKit 1 receipt, not a JWS (invalid_parameter).
TEST(AppleAdapter, RefusedVectors) {
  auto creds = vector_credentials();
  ASSERT_TRUE(apple::verify_signed_data(vector_text("wrongBundleId"), creds->root_certificates, kNow).ok());
  EXPECT_EQ(apple::verify_notification(vector_text("wrongBundleId"), *creds, kNow).error().code,
            Errc::conflict);
  EXPECT_EQ(apple::verify_notification(vector_text("missingX5CHeaderClaim"), *creds, kNow).error().code,
            Errc::bad_signature);
  const BillView bill{std::string(kBillId), "app_1", "gem_500", 499, "USD", 0};
  static const ProviderUrls urls;
  auto legacy =
      adapter().verify_receipt(ChannelContext{creds, urls, kNow}, bill, vector_text("legacyTransaction"));
  ASSERT_TRUE(legacy.done());
  EXPECT_EQ(legacy.result().error().code, Errc::invalid_parameter);
}

// Proves the vector transaction is refused under another root, another environment, one
// changed byte of its signature, and when its (no signedDate) chain is checked after expiry.
TEST(AppleAdapter, VectorRefusedWhenRootEnvironmentOrTimeDiffer) {
  const auto other = apple::make_test_pki(kNow - kYearS, kNow + kYearS);
  auto other_root = std::dynamic_pointer_cast<const AppleCredentials>(
      testing::credentials_for(adapter(), credentials_json(other.root_pem)));
  EXPECT_EQ(apple::verify_transaction(vector_text("transactionInfo"), *other_root, kNow).error().code,
            Errc::bad_signature);
  EXPECT_EQ(apple::verify_transaction(vector_text("transactionInfo"), *vector_credentials("Production"), kNow)
                .error()
                .code,
            Errc::conflict);
  std::string changed = vector_text("transactionInfo");
  changed[changed.size() - 5] = changed[changed.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(apple::verify_transaction(changed, *vector_credentials(), kNow).error().code,
            Errc::bad_signature);
  // wrongBundleId carries no signedDate: its chain is checked at now, and it expires in 2033.
  const int64_t after_expiry = 2000000000;  // 2033-05-18
  EXPECT_EQ(apple::verify_signed_data(vector_text("wrongBundleId"), vector_credentials()->root_certificates,
                                      after_expiry)
                .error()
                .code,
            Errc::bad_signature);
  EXPECT_TRUE(
      apple::verify_transaction(vector_text("transactionInfo"), *vector_credentials(), after_expiry).ok());
}

// A run-time PKI and transactions signed like the App Store's.
const apple::TestPki& pki() {
  static const apple::TestPki made = apple::make_test_pki(kNow - kYearS, kNow + kYearS);
  return made;
}

CredentialsPtr pki_credentials() {
  return testing::credentials_for(adapter(), credentials_json(pki().root_pem));
}

std::string transaction(std::string_view product = "com.example.gems500", std::string token = "",
                        std::string_view bundle = "com.example", bool revoked = false) {
  if (token.empty()) token = *app_account_token(kBillId);
  json::Writer out;
  out.begin_object().key("transactionId").string("2000000123456789").key("productId").string(product);
  out.key("bundleId")
      .string(bundle)
      .key("environment")
      .string("Sandbox")
      .key("appAccountToken")
      .string(token);
  out.key("signedDate").integer(kNow * 1000).key("type").string("Consumable");
  if (revoked) out.key("revocationDate").integer(kNow * 1000);
  out.end_object();
  auto jws = apple::sign_signed_data(out.str(), pki());
  EXPECT_TRUE(jws.ok());
  return *jws;
}

Result<ProviderResult> receipt(std::string_view jws, std::string_view item = "gem_500") {
  static const ProviderUrls urls;
  const BillView bill{std::string(kBillId), "app_1", std::string(item), 499, "USD", 0};
  auto step = adapter().verify_receipt(ChannelContext{pki_credentials(), urls, kNow}, bill, jws);
  EXPECT_TRUE(step.done());
  return std::move(step).result();
}

// Proves prepare's app_account_token is the bill's, and a receipt carrying it for the bill's
// product is paid with the bill's amount and Apple's transaction id as trade number.
TEST(AppleAdapter, ReceiptTiedToBill) {
  static const ProviderUrls urls;
  auto pay = adapter().prepare(ChannelContext{pki_credentials(), urls, kNow},
                               PrepareInput{{std::string(kBillId), "app_1", "gem_500", 499, "USD", 0}, ""});
  ASSERT_TRUE(pay.done() && pay.result().ok());
  EXPECT_EQ(pay.result()->json, R"({"app_account_token":")" + *app_account_token(kBillId) + "\"}");
  EXPECT_EQ(bill_id_from_app_account_token(*app_account_token(kBillId)), std::string(kBillId));
  auto paid = receipt(transaction());
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_EQ(paid->status, ProviderStatus::paid);
  EXPECT_EQ(paid->bill_id, kBillId);
  EXPECT_EQ(paid->trade_no, "2000000123456789");
  EXPECT_EQ(paid->amount_minor, 499);
  EXPECT_EQ(paid->currency, "USD");
  auto revoked = receipt(transaction("com.example.gems500", "", "com.example", true));
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(revoked->status, ProviderStatus::refunded);
}

// Proves the forgeries of issue 9 are refused: another bill's token, a product of another
// item or unknown, another bundle id (conflicts); a chain without Apple's marker OIDs and a
// chain expired at signedDate (bad_signature).
TEST(AppleAdapter, ForgedReceiptsRefused) {
  const std::string other_token = *app_account_token("b_01HZZZZZZZZZZZZZZZZZZZZZZY");
  EXPECT_EQ(receipt(transaction("com.example.gems500", other_token)).error().code, Errc::conflict);
  EXPECT_EQ(receipt(transaction("com.example.gems100")).error().code, Errc::conflict);
  EXPECT_EQ(receipt(transaction("com.example.unknown")).error().code, Errc::conflict);
  EXPECT_EQ(receipt(transaction("com.example.gems500", "", "com.other")).error().code, Errc::conflict);
  EXPECT_EQ(receipt("not.a.jws").error().code, Errc::invalid_parameter);

  // A chain to a configured root, but without Apple's markers: not an App Store signature.
  const apple::TestPki unmarked = apple::make_test_pki(kNow - kYearS, kNow + kYearS, false);
  auto unmarked_creds = testing::credentials_for(adapter(), credentials_json(unmarked.root_pem));
  auto forged = apple::sign_signed_data(R"({"bundleId":"com.example","environment":"Sandbox"})", unmarked);
  auto refused = apple::verify_transaction(
      *forged, *std::dynamic_pointer_cast<const AppleCredentials>(unmarked_creds), kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::bad_signature);
  EXPECT_NE(refused.error().message.find("marker"), std::string::npos) << refused.error().message;
  EXPECT_EQ(receipt(*forged).error().code, Errc::bad_signature);  // and under another root
  const apple::TestPki old = apple::make_test_pki(kNow - 2 * kYearS, kNow - kYearS);
  auto old_creds = testing::credentials_for(adapter(), credentials_json(old.root_pem));
  auto expired =
      apple::sign_signed_data(R"({"bundleId":"com.example","environment":"Sandbox","signedDate":)" +
                                  std::to_string(kNow * 1000) + "}",
                              old);
  EXPECT_EQ(
      apple::verify_transaction(*expired, *std::dynamic_pointer_cast<const AppleCredentials>(old_creds), kNow)
          .error()
          .code,
      Errc::bad_signature);
}

std::string notification(std::string_view type, const std::string& signed_transaction) {
  json::Writer payload;
  payload.begin_object().key("notificationType").string(type).key("notificationUUID").string("n-1");
  payload.key("data")
      .begin_object()
      .key("bundleId")
      .string("com.example")
      .key("environment")
      .string("Sandbox");
  payload.key("signedTransactionInfo").string(signed_transaction).end_object();
  payload.key("signedDate").integer(kNow * 1000).end_object();
  auto jws = apple::sign_signed_data(payload.str(), pki());
  return R"({"signedPayload":")" + *jws + "\"}";
}

// Proves Server Notifications V2: REFUND → refunded for the token's bill, ONE_TIME_CHARGE →
// paid, other types unrelated; a body changed after signing is refused.
TEST(AppleAdapter, Notifications) {
  auto refund =
      testing::verify(adapter(), pki_credentials(), {}, notification("REFUND", transaction()), kNow);
  ASSERT_TRUE(refund.ok()) << refund.error().message;
  EXPECT_EQ(refund->status, ProviderStatus::refunded);
  EXPECT_EQ(refund->bill_id, kBillId);
  auto charge =
      testing::verify(adapter(), pki_credentials(), {}, notification("ONE_TIME_CHARGE", transaction()), kNow);
  ASSERT_TRUE(charge.ok());
  EXPECT_EQ(charge->status, ProviderStatus::paid);
  auto other =
      testing::verify(adapter(), pki_credentials(), {}, notification("DID_RENEW", transaction()), kNow);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->status, ProviderStatus::unrelated);
  std::string body = notification("REFUND", transaction());
  body[body.size() - 10] = body[body.size() - 10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(testing::verify(adapter(), pki_credentials(), {}, body, kNow).ok());
  EXPECT_EQ(adapter().answer(CallbackOutcome::accepted, nullptr).status, 200);
}

// Proves the lookup: GET /inApps/v1/transactions/{id} on the Sandbox URL with a Bearer ES256
// token that verifies with the configured key and carries Apple's claims; a signed answer is
// read for the bill, a forged one is server_busy (unknown), a 404 a refusal.
TEST(AppleAdapter, TransactionLookup) {
  ProviderUrls urls;
  urls.apple_sandbox = "http://127.0.0.1:1";
  const BillView bill{std::string(kBillId), "app_1", "gem_500", 499, "USD", 0};
  std::string answer = R"({"signedTransactionInfo":")" + transaction() + "\"}";
  int status = 200;
  Transport api = [&](const OutboundRequest& request) -> Result<OutboundResponse> {
    EXPECT_EQ(request.url, "http://127.0.0.1:1/inApps/v1/transactions/2000000123456789");
    const std::string bearer(request.headers.at(0).value);
    auto jws = jose::parse_compact(bearer.substr(7), jose::kMaxJwsBytes, {});
    EXPECT_TRUE(jws.ok());
    auto key = jose::EcPrivateKey::parse(vector_text("testSigningKey.p8"));
    EXPECT_TRUE(key->public_key().verify_es256(jws->signing_input, jws->signature));
    EXPECT_EQ(text_of(jws->header, "kid"), "2X9R4HXF34");
    EXPECT_EQ(text_of(jws->payload, "aud"), "appstoreconnect-v1");
    EXPECT_EQ(text_of(jws->payload, "bid"), "com.example");
    EXPECT_EQ(integer_of(jws->payload, "exp"), kNow + 300);
    return OutboundResponse{status, {}, answer};
  };
  const ChannelContext context{pki_credentials(), urls, kNow};
  auto paid = run_steps(adapter().verify_receipt(context, bill, "2000000123456789"), api, 2);
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_EQ(paid->status, ProviderStatus::paid);
  answer = R"({"signedTransactionInfo":")" + vector_text("transactionInfo") + "\"}";
  EXPECT_EQ(run_steps(adapter().verify_receipt(context, bill, "2000000123456789"), api, 2).error().code,
            Errc::server_busy);
  status = 404;
  EXPECT_EQ(run_steps(adapter().verify_receipt(context, bill, "2000000123456789"), api, 2).error().code,
            Errc::invalid_parameter);
}

// Proves credentials are checked once with every problem listed together.
TEST(AppleAdapter, CredentialProblemsListed) {
  auto result = adapter().parse_credentials(
      testing::object({{"bundle_id", testing::string_value("com.example")},
                       {"environment", testing::string_value("Staging")},
                       {"root_certificates", array_of({"not a certificate"})},
                       {"key_id", testing::string_value("K")},
                       {"private_key", testing::string_value(testing::key(testing::KeyRole::stranger).pem())},
                       {"products", testing::object({})}}));
  ASSERT_FALSE(result.ok());
  for (const char* part : {"channels.apple: ", "environment must be", "root_certificates[0]",
                           "issuer_id is required", "private_key: not a P-256", "products must map"}) {
    EXPECT_NE(result.error().message.find(part), std::string::npos)
        << part << " in " << result.error().message;
  }
}

}  // namespace
}  // namespace unipay::channels
