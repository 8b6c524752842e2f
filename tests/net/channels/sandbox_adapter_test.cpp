// net/channels/sandbox_adapter: the sandbox channel through the adapter interface behaves
// exactly as the sandbox callback handler and bill creation do today (same header, body
// rules, answers and pay object), so the later handler switch changes no behaviour.
#include "net/channels/sandbox_adapter.hpp"

#include <gtest/gtest.h>

#include "net/crypto.hpp"
#include "tests/net/channels/test_support.hpp"

namespace unipay::channels {
namespace {

const ChannelAdapter& adapter() {
  static const auto made = make_sandbox_adapter();
  return *made;
}

CredentialsPtr credentials() {
  return testing::credentials_for(adapter(),
                                  testing::object({{"secret", testing::string_value("sandbox-secret")}}));
}

Result<ProviderResult> verify(std::string_view body, std::string signature) {
  return testing::verify(adapter(), credentials(), {{"x-sandbox-signature", std::move(signature)}}, body, 0);
}

Result<ProviderResult> verify_signed(std::string_view body) {
  return verify(body, crypto::hmac_sha256_hex("sandbox-secret", body));
}

// Proves a signed success reads as paid with the body's bill, trade number, amount and
// currency, and a signed failure as failed.
TEST(SandboxAdapter, SignedNotices) {
  auto paid =
      verify_signed(R"({"bill_id":"b_1","trade_no":"t1","status":"success","amount":499,"currency":"USD"})");
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_EQ(paid->status, ProviderStatus::paid);
  EXPECT_EQ(paid->bill_id, "b_1");
  EXPECT_EQ(paid->trade_no, "t1");
  EXPECT_EQ(paid->amount_minor, 499);
  EXPECT_EQ(paid->currency, "USD");
  auto failed = verify_signed(R"({"bill_id":"b_1","status":"failed"})");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status, ProviderStatus::failed);
}

// Proves the refusals keep the handler's codes and messages: bad or missing signature,
// malformed JSON, a success without amount, an unknown status.
TEST(SandboxAdapter, Refusals) {
  const std::string body =
      R"({"bill_id":"b_1","trade_no":"t1","status":"success","amount":499,"currency":"USD"})";
  auto bad = verify(body, crypto::hmac_sha256_hex("other", body));
  EXPECT_EQ(bad.error().code, Errc::bad_signature);
  EXPECT_EQ(bad.error().message, "X-Sandbox-Signature does not match");
  EXPECT_EQ(verify(body, "").error().code, Errc::bad_signature);
  EXPECT_EQ(verify_signed("{").error().code, Errc::invalid_json);
  EXPECT_EQ(verify_signed(R"({"bill_id":"b_1","trade_no":"t","status":"success"})").error().code,
            Errc::invalid_parameter);
  EXPECT_EQ(verify_signed(R"({"bill_id":"b_1","status":"maybe"})").error().code, Errc::invalid_parameter);
  EXPECT_EQ(
      verify_signed(R"({"bill_id":"b_1","trade_no":"t","status":"success","amount":1.5,"currency":"USD"})")
          .error()
          .code,
      Errc::invalid_parameter);
}

// Proves the answers: 200 {"ok":true} for accepted and ignored, unipay's error envelope
// with the refusal's status for refused.
TEST(SandboxAdapter, Answers) {
  EXPECT_EQ(adapter().answer(CallbackOutcome::accepted, nullptr).body, R"({"ok":true})");
  EXPECT_EQ(adapter().answer(CallbackOutcome::ignored, nullptr).status, 200);
  Error missing{Errc::not_found, "no such bill"};
  http::Response refused = adapter().answer(CallbackOutcome::refused, &missing);
  EXPECT_EQ(refused.status, 404);
  EXPECT_EQ(refused.body, R"({"error":{"code":"not_found","ret":1,"message":"no such bill"}})");
}

// Proves the pay object is the one bill creation answers today, and that credentials need a
// non-empty secret and nothing else.
TEST(SandboxAdapter, PrepareAndCredentials) {
  ProviderUrls urls;
  auto step = adapter().prepare(ChannelContext{credentials(), urls, 0},
                                PrepareInput{{"b_1", "app_9", "gem", 499, "USD", 0}, ""});
  ASSERT_TRUE(step.done());
  EXPECT_EQ(step.result()->json, R"({"channel":"sandbox","bill_id":"b_1","amount":499,"currency":"USD",)"
                                 R"("callback_path":"/v1/callbacks/app_9/sandbox"})");
  EXPECT_FALSE(adapter().parse_credentials(testing::object({{"secret", testing::string_value("")}})).ok());
  EXPECT_FALSE(adapter().parse_credentials(testing::object({})).ok());
  EXPECT_FALSE(adapter().traits().has_query);
}

}  // namespace
}  // namespace unipay::channels
