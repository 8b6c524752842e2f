// Property over the stripe and apple verifications, like tamper_property_test for the first
// two channels: changing any single byte of a signed input gets it refused. Stripe: any byte
// of the Stripe-Signature header or of the body. Apple: any byte of the App Store's own signed
// transaction (the transactionInfo vector) — header with its x5c chain, payload or signature.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "net/base64.hpp"
#include "net/channels/apple_adapter.hpp"
#include "net/channels/stripe_adapter.hpp"
#include "net/channels/stripe_provider.hpp"
#include "tests/net/channels/test_support.hpp"

namespace unipay::channels {
namespace {

constexpr int64_t kNow = 1764000000;
const std::vector<std::string> kSecrets = {"whsec_property"};

const std::string& stripe_body() {
  static const std::string body =
      R"({"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","amount":499,)"
      R"("currency":"usd","status":"succeeded","metadata":{"bill_id":"b_01HZZZZZZZZZZZZZZZZZZZZZZZ"}}}})";
  return body;
}

struct AppleCase {
  std::string jws;
  std::shared_ptr<const AppleCredentials> credentials;
};

const AppleCase& apple_case() {
  static const AppleCase c = [] {
    AppleCase made;
    made.jws = testing::read_file(testing::vector_path("apple/transactionInfo"));
    while (!made.jws.empty() && made.jws.back() == '\n') made.jws.pop_back();
    json::Value roots;
    roots.kind = json::Value::Kind::array;
    roots.items.push_back(
        testing::string_value(base64::encode(testing::read_file(testing::vector_path("apple/testCA.der")))));
    const auto adapter = make_apple_adapter();
    made.credentials = std::dynamic_pointer_cast<const AppleCredentials>(testing::credentials_for(
        *adapter,
        testing::object({{"bundle_id", testing::string_value("com.example")},
                         {"environment", testing::string_value("Sandbox")},
                         {"root_certificates", roots},
                         {"issuer_id", testing::string_value("issuer")},
                         {"key_id", testing::string_value("key")},
                         {"private_key", testing::string_value(testing::read_file(
                                             testing::vector_path("apple/testSigningKey.p8")))},
                         {"products", testing::object({{"com.example", testing::string_value("item")}})}})));
    return made;
  }();
  return c;
}

// Proves the unchanged inputs verify, so the properties below test tampering only.
TEST(StoreTamperProperty, OriginalsVerify) {
  const std::string header = stripe::signature_header(kSecrets[0], kNow, stripe_body());
  EXPECT_TRUE(stripe::verify_signature(header, stripe_body(), kSecrets, kNow).ok());
  EXPECT_TRUE(apple::verify_transaction(apple_case().jws, *apple_case().credentials, kNow).ok());
}

RC_GTEST_PROP(StoreTamperProperty, StripeAnyByteChangedIsRefused, ()) {
  std::string header = stripe::signature_header(kSecrets[0], kNow, stripe_body());
  std::string body = stripe_body();
  const size_t total = header.size() + body.size();
  const size_t index = *rc::gen::inRange<size_t>(0, total);
  std::string& target = index < header.size() ? header : body;
  const size_t at = index < header.size() ? index : index - header.size();
  const char old_byte = target[at];
  target[at] = *rc::gen::suchThat(rc::gen::arbitrary<char>(), [&](char b) { return b != old_byte; });
  RC_ASSERT(!stripe::verify_signature(header, body, kSecrets, kNow).ok());
}

RC_GTEST_PROP(StoreTamperProperty, AppleAnyByteChangedIsRefused, ()) {
  const AppleCase& c = apple_case();
  std::string jws = c.jws;
  const size_t index = *rc::gen::inRange<size_t>(0, jws.size());
  const char old_byte = jws[index];
  jws[index] = *rc::gen::suchThat(rc::gen::arbitrary<char>(), [&](char b) { return b != old_byte; });
  RC_ASSERT(!apple::verify_transaction(jws, *c.credentials, kNow).ok());
}

}  // namespace
}  // namespace unipay::channels
