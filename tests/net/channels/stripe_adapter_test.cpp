// net/channels/stripe_adapter: Stripe-Signature verification against a hand-checked vector
// and its refusals (other secret, changed body, stale t, several v1 and secrets); the three
// event types read as paid / failed / refunded for metadata.bill_id; prepare creates an
// idempotent PaymentIntent and hands out its client_secret; query and refund call the API.
#include "net/channels/stripe_adapter.hpp"

#include <gtest/gtest.h>

#include "net/channels/stripe_provider.hpp"
#include "tests/net/channels/test_support.hpp"

namespace unipay::channels {
namespace {

constexpr int64_t kNow = 1700000000;
constexpr std::string_view kSecret = "whsec_test_secret";
constexpr std::string_view kBillId = "b_01HZZZZZZZZZZZZZZZZZZZZZZZ";

// The known answer, derived outside this code base with two independent tools:
//   printf '%s' "1700000000.$BODY" | openssl dgst -sha256 -hmac 'whsec_test_secret'
//   python3 -c "import hmac,hashlib; print(hmac.new(b'whsec_test_secret',
//               b'1700000000.' + BODY, hashlib.sha256).hexdigest())"
// both print the v1 below for exactly kVectorBody (Stripe signs "<t>.<raw body>" with the
// endpoint secret's bytes, whsec_ prefix included, and sends the lowercase hex digest).
constexpr std::string_view kVectorBody =
    R"({"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","amount":499,)"
    R"("currency":"usd","status":"succeeded","metadata":{"bill_id":"b_01HZZZZZZZZZZZZZZZZZZZZZZZ"}}}})";
constexpr std::string_view kVectorHeader =
    "t=1700000000,v1=7e068500594f48d181163e497f1dafddcebb39836057efba2591d01203ee5229";

const ChannelAdapter& adapter() {
  static const auto made = make_stripe_adapter();
  return *made;
}

json::Value secrets(std::initializer_list<std::string> texts) {
  json::Value v;
  v.kind = json::Value::Kind::array;
  for (const auto& t : texts) v.items.push_back(testing::string_value(t));
  return v;
}

CredentialsPtr credentials(std::initializer_list<std::string> webhook_secrets = {std::string(kSecret)}) {
  return testing::credentials_for(adapter(),
                                  testing::object({{"secret_key", testing::string_value("sk_test_123")},
                                                   {"webhook_secrets", secrets(webhook_secrets)}}));
}

Result<ProviderResult> webhook(std::string_view header, std::string_view body, int64_t now_s = kNow,
                               const CredentialsPtr& creds = credentials()) {
  return testing::verify(adapter(), creds, {{"stripe-signature", std::string(header)}}, body, now_s);
}

// Proves the hand-checked vector verifies (by the exposed check and through the adapter, as
// paid 499 USD for the bill with the PaymentIntent as trade number) and that the simulator's
// signer produces the same header.
TEST(StripeAdapter, KnownAnswerVector) {
  EXPECT_TRUE(stripe::verify_signature(kVectorHeader, kVectorBody, {std::string(kSecret)}, kNow).ok());
  EXPECT_EQ(stripe::signature_header(kSecret, kNow, kVectorBody), kVectorHeader);
  auto result = webhook(kVectorHeader, kVectorBody);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->status, ProviderStatus::paid);
  EXPECT_EQ(result->bill_id, kBillId);
  EXPECT_EQ(result->trade_no, "pi_1");
  EXPECT_EQ(result->amount_minor, 499);
  EXPECT_EQ(result->currency, "USD");
}

// Proves the refusals: another secret, a changed body, a changed signature, no header or no
// v1 (bad_signature); t 301 s in the past or future (stale_timestamp) while 300 s passes.
TEST(StripeAdapter, VectorRefusals) {
  EXPECT_EQ(webhook(kVectorHeader, kVectorBody, kNow, credentials({"whsec_other"})).error().code,
            Errc::bad_signature);
  std::string body(kVectorBody);
  body[body.find("499")] = '5';
  EXPECT_EQ(webhook(kVectorHeader, body).error().code, Errc::bad_signature);
  std::string header(kVectorHeader);
  header.back() = '8';
  EXPECT_EQ(webhook(header, kVectorBody).error().code, Errc::bad_signature);
  EXPECT_EQ(webhook("", kVectorBody).error().code, Errc::bad_signature);
  EXPECT_EQ(webhook("t=1700000000,v0=abc", kVectorBody).error().code, Errc::bad_signature);
  EXPECT_EQ(webhook(kVectorHeader, kVectorBody, kNow + 301).error().code, Errc::stale_timestamp);
  EXPECT_EQ(webhook(kVectorHeader, kVectorBody, kNow - 301).error().code, Errc::stale_timestamp);
  EXPECT_TRUE(webhook(kVectorHeader, kVectorBody, kNow + 300).ok());
}

// Proves secret rotation: several v1 in one header (one matching), and any of several
// configured secrets.
TEST(StripeAdapter, SeveralSignaturesAndSecrets) {
  const std::string header = "t=1700000000,v1=" + std::string(64, '0') + "," +
                             std::string(kVectorHeader.substr(13)) + ",v0=deadbeef";
  EXPECT_TRUE(webhook(header, kVectorBody).ok());
  EXPECT_TRUE(
      webhook(kVectorHeader, kVectorBody, kNow, credentials({"whsec_new", std::string(kSecret)})).ok());
}

std::string event(std::string_view type, std::string_view object) {
  return R"({"id":"evt_2","type":")" + std::string(type) + R"(","data":{"object":)" + std::string(object) +
         "}}";
}

Result<ProviderResult> signed_event(std::string_view type, std::string_view object) {
  const std::string body = event(type, object);
  return webhook(stripe::signature_header(kSecret, kNow, body), body);
}

// Proves the event mapping: payment_failed → failed; charge.refunded → refunded with the
// refunded amount, the PaymentIntent as trade number and the refund id (also without the
// bill in metadata: then by trade number only); a PaymentIntent
// without metadata.bill_id and other event types are unrelated; a fractional amount refused.
TEST(StripeAdapter, EventTypes) {
  const std::string meta = R"("metadata":{"bill_id":"b_01HZZZZZZZZZZZZZZZZZZZZZZZ"})";
  auto failed = signed_event(
      "payment_intent.payment_failed",
      R"({"id":"pi_1","amount":499,"currency":"usd","status":"requires_payment_method",)" + meta + "}");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status, ProviderStatus::failed);
  auto refunded = signed_event(
      "charge.refunded", R"({"id":"ch_1","payment_intent":"pi_1","amount":499,)"
                         R"("amount_refunded":200,"currency":"jpy","refunds":{"data":[{"id":"re_1"}]},)" +
                             meta + "}");
  ASSERT_TRUE(refunded.ok()) << refunded.error().message;
  EXPECT_EQ(refunded->status, ProviderStatus::refunded);
  EXPECT_EQ(refunded->trade_no, "pi_1");
  EXPECT_EQ(refunded->refund_amount_minor, 200);
  EXPECT_EQ(refunded->refund_id, "re_1");
  EXPECT_EQ(refunded->currency, "JPY");
  // A Dashboard refund of a charge without metadata: the refund names only the PaymentIntent.
  auto dashboard = signed_event("charge.refunded", R"({"id":"ch_2","payment_intent":"pi_2","amount":499,)"
                                                   R"("amount_refunded":499,"currency":"usd"})");
  ASSERT_TRUE(dashboard.ok()) << dashboard.error().message;
  EXPECT_EQ(dashboard->status, ProviderStatus::refunded);
  EXPECT_EQ(dashboard->bill_id, "");
  EXPECT_EQ(dashboard->trade_no, "pi_2");
  auto foreign = signed_event("payment_intent.succeeded",
                              R"({"id":"pi_9","amount":1,"currency":"usd","status":"succeeded"})");
  ASSERT_TRUE(foreign.ok());
  EXPECT_EQ(foreign->status, ProviderStatus::unrelated);
  auto other = signed_event("customer.created", R"({"id":"cus_1"})");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->status, ProviderStatus::unrelated);
  EXPECT_EQ(signed_event("payment_intent.succeeded",
                         R"({"id":"pi_1","amount":4.99,"currency":"usd","status":"succeeded",)" + meta + "}")
                .error()
                .code,
            Errc::invalid_parameter);
}

ProviderUrls local_urls() {
  ProviderUrls urls;
  urls.stripe = "http://127.0.0.1:1";
  return urls;
}

std::string_view header_of(const OutboundRequest& request, std::string_view name) {
  for (const auto& h : request.headers) {
    if (h.name == name) return h.value;
  }
  return {};
}

// Proves prepare: POST /v1/payment_intents, form-encoded, Bearer secret key, Idempotency-Key =
// bill id, metadata[bill_id]; the answer's client_secret is the `pay` object; Stripe's 400 is
// a refusal and a 500 an unknown outcome.
TEST(StripeAdapter, PrepareCreatesPaymentIntent) {
  const ProviderUrls urls = local_urls();
  const PrepareInput input{{std::string(kBillId), "app_1", "gem_500", 499, "USD", 0}, ""};
  int status = 200;
  Transport api = [&](const OutboundRequest& request) -> Result<OutboundResponse> {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.url, "http://127.0.0.1:1/v1/payment_intents");
    EXPECT_EQ(header_of(request, "authorization"), "Bearer sk_test_123");
    EXPECT_EQ(header_of(request, "idempotency-key"), kBillId);
    EXPECT_EQ(header_of(request, "content-type"), "application/x-www-form-urlencoded");
    EXPECT_EQ(request.body,
              "amount=499&currency=usd&description=gem_500&metadata%5Bbill_id%5D=" + std::string(kBillId) +
                  "&metadata%5Bapp_id%5D=app_1&automatic_payment_methods%5Benabled%5D=true");
    return OutboundResponse{status,
                            {},
                            status == 200
                                ? R"({"id":"pi_1","client_secret":"pi_1_secret_x","metadata":{"bill_id":")" +
                                      std::string(kBillId) + "\"}}"
                                : R"({"error":{"message":"Invalid currency"}})"};
  };
  const ChannelContext context{credentials(), urls, kNow};
  auto pay = run_steps(adapter().prepare(context, input), api, 2);
  ASSERT_TRUE(pay.ok()) << pay.error().message;
  EXPECT_EQ(pay->json, R"({"client_secret":"pi_1_secret_x"})");
  status = 400;
  auto refused = run_steps(adapter().prepare(context, input), api, 2);
  EXPECT_EQ(refused.error().code, Errc::invalid_parameter);
  EXPECT_NE(refused.error().message.find("Invalid currency"), std::string::npos);
  status = 500;
  EXPECT_EQ(run_steps(adapter().prepare(context, input), api, 2).error().code, Errc::server_busy);
}

// Proves query (Search API by metadata.bill_id: none → pending, succeeded → paid) and refund
// (search, then POST /v1/refunds for the PaymentIntent with Idempotency-Key = refund id).
TEST(StripeAdapter, QueryAndRefund) {
  const ProviderUrls urls = local_urls();
  const BillView bill{std::string(kBillId), "app_1", "gem_500", 499, "USD", 0};
  const std::string pi =
      R"({"id":"pi_1","amount":499,"currency":"usd","status":"succeeded","metadata":{"bill_id":")" +
      std::string(kBillId) + "\"}}";
  std::string search_answer = R"({"data":[]})";
  std::vector<std::string> seen;
  Transport api = [&](const OutboundRequest& request) -> Result<OutboundResponse> {
    seen.push_back(request.method + " " + request.url + " " + request.body + " " +
                   std::string(header_of(request, "idempotency-key")));
    if (request.method == "GET") return OutboundResponse{200, {}, search_answer};
    return OutboundResponse{200, {}, R"({"id":"re_1","status":"succeeded"})"};
  };
  const ChannelContext context{credentials(), urls, kNow};
  auto none = run_steps(adapter().query(context, bill), api, 2);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->status, ProviderStatus::pending);
  EXPECT_EQ(seen.at(0), "GET http://127.0.0.1:1/v1/payment_intents/search?query=metadata%5B'bill_id'%5D%3A'" +
                            std::string(kBillId) + "'  ");
  search_answer = R"({"data":[)" + pi + "]}";
  auto paid = run_steps(adapter().query(context, bill), api, 2);
  ASSERT_TRUE(paid.ok());
  EXPECT_EQ(paid->status, ProviderStatus::paid);
  EXPECT_EQ(paid->trade_no, "pi_1");
  seen.clear();
  auto refund = run_steps(adapter().refund(context, RefundInput{bill, "r_1", 499, "player asked"}), api, 3);
  ASSERT_TRUE(refund.ok()) << refund.error().message;
  EXPECT_EQ(refund->status, ProviderStatus::refunded);
  EXPECT_EQ(refund->provider_refund_id, "re_1");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1],
            "POST http://127.0.0.1:1/v1/refunds payment_intent=pi_1&amount=499&metadata%5Bbill_id%5D=" +
                std::string(kBillId) +
                "&metadata%5Brefund_id%5D=r_1&metadata%5Breason%5D=player%20asked r_1");
}

// Proves credentials are checked once with every problem listed together.
TEST(StripeAdapter, CredentialProblemsListed) {
  auto result =
      adapter().parse_credentials(testing::object({{"secret_key", testing::string_value("pk_test_1")},
                                                   {"webhook_secrets", secrets({"nope"})},
                                                   {"extra", testing::string_value("x")}}));
  ASSERT_FALSE(result.ok());
  for (const char* part :
       {"channels.stripe: ", "secret_key must be", "not a whsec_ secret", "unknown field extra"}) {
    EXPECT_NE(result.error().message.find(part), std::string::npos)
        << part << " in " << result.error().message;
  }
}

}  // namespace
}  // namespace unipay::channels
