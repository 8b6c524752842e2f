// The simulator's Google Play (bench/provider_sim/google_play.*) in-process, over loopback
// HTTP with the real client: its OAuth token endpoint checks RS256 assertions as Google does,
// and its Play Developer API checks the access token and answers with Google's ProductPurchase
// and error JSON. (The google adapter against it, pushes included: tests/e2e/test_channel_google.py.)
#include <gtest/gtest.h>

#include "bench/provider_sim/provider_sim.hpp"
#include "bench/transport_call.hpp"
#include "net/channels/form.hpp"
#include "net/channels/google_auth.hpp"
#include "net/channels/jose.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "net/json.hpp"

namespace unipay::sim {
namespace {

using namespace std::chrono_literals;
namespace google = channels::google;

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string member(const json::Value& object, std::string_view key) {
  const json::Value* value = object.find(key);
  return value && value->kind == json::Value::Kind::string ? value->string : std::string();
}

class GooglePlaySimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sim = ProviderSim::start({});
    ASSERT_TRUE(sim.ok()) << sim.error().message;
    sim_ = std::move(*sim);
    auto io = http::Server::start({"127.0.0.1", 0, 1},
                                  [](http::Request, http::Responder respond) { respond(http::Response{}); });
    ASSERT_TRUE(io.ok());
    io_ = std::move(*io);
    http::ClientOptions options;
    options.allow_private_addresses = true;
    transport_ = http::make_http_transport(io_->io_context(), options);
    json::Value made =
        json_of(post("/sim/google/credentials",
                     R"({"package_name":"com.example.game","products":{"gems_500":"gem_500"}})"));
    const json::Value* account = made.find("credentials")->find("service_account");
    ASSERT_NE(account, nullptr);
    email_ = member(*account, "client_email");
    token_uri_ = member(*account, "token_uri");
    auto key = crypto::RsaPrivateKey::parse(member(*account, "private_key"));
    ASSERT_TRUE(key.ok());
    key_ = std::make_unique<crypto::RsaPrivateKey>(*key);
  }

  void TearDown() override {
    io_->stop();
    sim_->stop();
  }

  OutboundResponse call(OutboundRequest request) {
    return test_support::call_through(*transport_, std::move(request));
  }

  OutboundResponse post(const std::string& path, std::string body,
                        std::string content_type = "application/json") {
    OutboundRequest request{
        sim_->base_url() + path, {{"content-type", std::move(content_type)}}, std::move(body), 10000ms};
    return call(std::move(request));
  }

  static json::Value json_of(const OutboundResponse& r) {
    auto parsed = json::parse(r.body);
    EXPECT_TRUE(parsed.ok()) << r.status << " " << r.body;
    return parsed ? *parsed : json::Value{};
  }

  // The token endpoint's answer to an assertion with these claims, signed by `key`.
  OutboundResponse exchange(const std::string& aud, const std::string& scope, int64_t iat, int64_t exp,
                            const crypto::RsaPrivateKey& key, std::string_view grant = "") {
    json::Writer claims;
    claims.begin_object().key("iss").string(email_).key("scope").string(scope).key("aud").string(aud);
    claims.key("iat").integer(iat).key("exp").integer(exp).end_object();
    auto jwt = channels::jose::sign_rs256(channels::jose::rs256_header(), claims.str(), key);
    EXPECT_TRUE(jwt.ok());
    const std::string grant_type =
        grant.empty() ? "urn:ietf:params:oauth:grant-type:jwt-bearer" : std::string(grant);
    return post("/token", channels::form::encode({{"grant_type", grant_type}, {"assertion", *jwt}}),
                "application/x-www-form-urlencoded");
  }

  std::string access_token() {
    const int64_t now = now_s();
    return member(json_of(exchange(token_uri_, std::string(google::kPublisherScope), now, now + 3600, *key_)),
                  "access_token");
  }

  OutboundResponse api(const std::string& method, const std::string& path, const std::string& token) {
    OutboundRequest request{sim_->base_url() + "/androidpublisher/v3/applications/" + path, {}, "", 10000ms};
    request.method = method;
    if (!token.empty()) request.headers.emplace_back("authorization", "Bearer " + token);
    if (method == "POST") request.body = "{}";
    return call(std::move(request));
  }

  std::unique_ptr<ProviderSim> sim_;
  std::unique_ptr<http::Server> io_;  // only its io_context: the client's
  std::unique_ptr<DeliveryTransport> transport_;
  std::string email_, token_uri_;
  std::unique_ptr<crypto::RsaPrivateKey> key_;
};

// Proves the token endpoint gives an access token only for an assertion Google would take:
// the adapter's own assertion (google_auth) is taken; another audience, a key that is not the
// account's, an expired or over-long assertion (invalid_grant), no androidpublisher scope
// (invalid_scope) and another grant type (unsupported_grant_type) are refused with 400.
TEST_F(GooglePlaySimTest, TokenEndpointChecksTheAssertion) {
  google::ServiceAccount account(*key_);
  account.client_email = email_;
  account.token_uri = token_uri_;
  const int64_t now = now_s();
  auto assertion = google::assertion(account, now);
  ASSERT_TRUE(assertion.ok());
  channels::OutboundRequest request = google::token_request(account, *assertion);
  OutboundResponse taken = post("/token", request.body, "application/x-www-form-urlencoded");
  ASSERT_EQ(taken.status, 200) << taken.body;
  json::Value answer = json_of(taken);
  EXPECT_TRUE(member(answer, "access_token").starts_with("ya29."));
  EXPECT_EQ(member(answer, "token_type"), "Bearer");
  EXPECT_EQ(answer.find("expires_in")->integer, 3599);

  const std::string scope(google::kPublisherScope);
  const auto other_key = crypto::RsaPrivateKey::generate();
  const auto error_of = [&](const OutboundResponse& r) {
    EXPECT_EQ(r.status, 400) << r.body;
    return member(json_of(r), "error");
  };
  EXPECT_EQ(error_of(exchange(token_uri_ + "x", scope, now, now + 3600, *key_)), "invalid_grant");
  EXPECT_EQ(error_of(exchange(token_uri_, scope, now, now + 3600, other_key)), "invalid_grant");
  EXPECT_EQ(error_of(exchange(token_uri_, scope, now - 7200, now - 3600, *key_)), "invalid_grant");
  EXPECT_EQ(error_of(exchange(token_uri_, scope, now, now + 7200, *key_)), "invalid_grant");
  EXPECT_EQ(error_of(exchange(token_uri_, "https://www.googleapis.com/auth/drive", now, now + 3600, *key_)),
            "invalid_scope");
  EXPECT_EQ(error_of(exchange(token_uri_, scope, now, now + 3600, *key_, "client_credentials")),
            "unsupported_grant_type");
}

// Proves the Play Developer API answers a purchase as Google's ProductPurchase only with a
// valid access token (401 UNAUTHENTICATED otherwise), for the account's own package (403)
// and a token of that product (404 with Google's error JSON); :acknowledge acknowledges a
// purchased purchase (then acknowledgementState 1) and refuses a pending one (400).
TEST_F(GooglePlaySimTest, PlayApiChecksTheAccessTokenAndAnswersLikeGoogle) {
  json::Value made =
      json_of(post("/sim/google/purchases", R"({"package_name":"com.example.game",)"
                                            R"("product_id":"gems_500","obfuscated_account_id":"b_1"})"));
  const std::string purchase = "com.example.game/purchases/products/gems_500/tokens/" + member(made, "token");
  OutboundResponse anonymous = api("GET", purchase, "");
  EXPECT_EQ(anonymous.status, 401);
  const json::Value refusal = json_of(anonymous);
  ASSERT_NE(refusal.find("error"), nullptr) << anonymous.body;
  EXPECT_EQ(member(*refusal.find("error"), "status"), "UNAUTHENTICATED");
  EXPECT_EQ(api("GET", purchase, "ya29.made-up").status, 401);
  const std::string token = access_token();
  ASSERT_FALSE(token.empty());
  OutboundResponse got = api("GET", purchase, token);
  ASSERT_EQ(got.status, 200) << got.body;
  json::Value p = json_of(got);
  EXPECT_EQ(member(p, "kind"), "androidpublisher#productPurchase");
  EXPECT_EQ(p.find("purchaseState")->integer, 0);
  EXPECT_EQ(p.find("acknowledgementState")->integer, 0);
  EXPECT_EQ(member(p, "orderId"), member(made, "order_id"));
  EXPECT_TRUE(member(p, "orderId").starts_with("GPA."));
  EXPECT_EQ(member(p, "obfuscatedExternalAccountId"), "b_1");
  EXPECT_FALSE(member(p, "purchaseTimeMillis").empty());  // int64 fields are JSON strings
  OutboundResponse unknown = api("GET", "com.example.game/purchases/products/gems_500/tokens/nope", token);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(json_of(unknown).find("error")->find("code")->integer, 404);
  EXPECT_EQ(
      api("GET", "com.other.game/purchases/products/gems_500/tokens/" + member(made, "token"), token).status,
      403);
  EXPECT_EQ(api("POST", purchase + ":acknowledge", token).status, 200);
  EXPECT_EQ(json_of(api("GET", purchase, token)).find("acknowledgementState")->integer, 1);
  json::Value pending =
      json_of(post("/sim/google/purchases", R"({"package_name":"com.example.game",)"
                                            R"("product_id":"gems_500","purchase_state":2})"));
  EXPECT_EQ(
      api("POST",
          "com.example.game/purchases/products/gems_500/tokens/" + member(pending, "token") + ":acknowledge",
          token)
          .status,
      400);
}

}  // namespace
}  // namespace unipay::sim
