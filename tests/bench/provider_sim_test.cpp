// unipay-provider-sim in-process, driven the way unipay will drive it: merchants made
// through the control API, their credentials parsed by the channel adapters, prepare and
// query run by the provider-call runner over loopback HTTP, refunds signed like unipay's
// requests, and notifications sent to a loopback receiver that verifies them with the
// adapters (as the callback handler will).
#include "bench/provider_sim/provider_sim.hpp"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <thread>

#include "bench/transport_call.hpp"
#include "net/base64.hpp"
#include "net/channels/alipay_adapter.hpp"
#include "net/channels/alipay_format.hpp"
#include "net/channels/app_account_token.hpp"
#include "net/channels/apple_adapter.hpp"
#include "net/channels/channel_adapter.hpp"
#include "net/channels/stripe_adapter.hpp"
#include "net/channels/wechatpay_adapter.hpp"
#include "net/channels/wechatpay_format.hpp"
#include "net/crypto.hpp"
#include "net/http_server.hpp"
#include "net/json.hpp"
#include "net/provider_client.hpp"

namespace unipay::sim {
namespace {

using namespace std::chrono_literals;
using channels::ProviderStatus;

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What the receiver made of the last notification.
struct Received {
  Result<channels::ProviderResult> result = make_error(Errc::not_found, "nothing received");
};

class ProviderSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sim = ProviderSim::start({});
    ASSERT_TRUE(sim.ok()) << sim.error().message;
    sim_ = std::move(*sim);
    auto receiver = http::Server::start(
        {"127.0.0.1", 0, 1}, [this](http::Request r, http::Responder respond) { respond(receive(r)); });
    ASSERT_TRUE(receiver.ok());
    receiver_ = std::move(*receiver);
    http::ClientOptions options;
    options.allow_private_addresses = true;
    options.max_idle_connections = 4;
    transport_ = http::make_http_transport(receiver_->io_context(), options);
    urls_.alipay = sim_->alipay_url();
    urls_.wechatpay = sim_->wechatpay_url();
    urls_.apple_sandbox = sim_->base_url();
    urls_.apple_production = sim_->base_url();
  }

  void TearDown() override {
    receiver_->stop();
    sim_->stop();
  }

  // The receiver: verifies with the channel's adapter and answers in the channel's format.
  http::Response receive(const http::Request& request) {
    const std::string channel = request.path.substr(request.path.rfind('/') + 1);
    const channels::ChannelAdapter& adapter = *channels::default_registry().find(channel);
    channels::ChannelContext context{credentials_, urls_, now_s()};
    auto step = adapter.verify_callback(context, {request.headers, request.body, {}});
    std::lock_guard lock(mutex_);
    received_.result = std::move(step).result();
    if (!received_.result)
      return adapter.answer(channels::CallbackOutcome::refused, &received_.result.error());
    return adapter.answer(channels::CallbackOutcome::accepted, nullptr);
  }

  Result<channels::ProviderResult> last_received() {
    std::lock_guard lock(mutex_);
    return received_.result;
  }

  std::string notify_url(const std::string& channel) const {
    return "http://127.0.0.1:" + std::to_string(receiver_->port()) + "/v1/callbacks/app_1/" + channel;
  }

  // One HTTP call through the real client; fails the test if it gets no answer.
  OutboundResponse call(OutboundRequest request) {
    return test_support::call_through(*transport_, std::move(request));
  }

  json::Value control(const std::string& path, const std::string& body, int expected_status = 200) {
    OutboundRequest request{sim_->base_url() + path, {}, body, 10000ms};
    if (body.empty()) request.method = "GET";
    OutboundResponse answer = call(std::move(request));
    EXPECT_EQ(answer.status, expected_status) << path << " " << body << " → " << answer.body;
    auto parsed = json::parse(answer.body);
    EXPECT_TRUE(parsed.ok()) << answer.body;
    return parsed ? *parsed : json::Value{};
  }

  // Makes a merchant and parses its credentials as unipay will.
  std::string make_merchant(const std::string& channel) {
    json::Value made = control("/sim/merchants", R"({"channel":")" + channel + R"("})");
    const json::Value* credentials = made.find("credentials");
    EXPECT_NE(credentials, nullptr);
    auto parsed = channels::default_registry().find(channel)->parse_credentials(*credentials);
    EXPECT_TRUE(parsed.ok()) << (parsed ? "" : parsed.error().message);
    if (parsed) credentials_ = *parsed;
    return made.find("merchant")->string;
  }

  template <class T>
  Result<T> run(channels::Step<T> step) {
    ProviderClient client(*transport_, ProviderClientOptions{10000ms, 4, 16});
    auto promise = std::make_shared<std::promise<Result<T>>>();
    auto future = promise->get_future();
    client.run<T>(std::move(step), [promise](Result<T> r) { promise->set_value(std::move(r)); });
    EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
    return future.get();
  }

  channels::ChannelContext context() { return {credentials_, urls_, now_s()}; }

  // POST /sim/notify; returns the receiver's HTTP status.
  int64_t notify(const std::string& channel, const std::string& merchant, const std::string& extra) {
    json::Value sent =
        control("/sim/notify", R"({"channel":")" + channel + R"(","merchant":")" + merchant +
                                   R"(","bill_id":")" + std::string(kBill) + "\"" + extra + "}");
    const json::Value* status = sent.find("status");
    return status ? status->integer : 0;
  }

  static constexpr std::string_view kBill = "b_0123456789abcdef";
  const channels::BillView bill_{std::string(kBill), "app_1", "gem_500", 499, "CNY", 0};
  std::unique_ptr<ProviderSim> sim_;
  std::unique_ptr<http::Server> receiver_;
  std::unique_ptr<DeliveryTransport> transport_;
  channels::ProviderUrls urls_;
  channels::CredentialsPtr credentials_;
  std::mutex mutex_;
  Received received_;
};

const channels::ChannelAdapter& adapter(std::string_view channel) {
  return *channels::default_registry().find(channel);
}

// A signed alipay.trade.refund request, as unipay's refund will send it.
OutboundRequest alipay_refund_request(const std::string& gateway, const channels::AlipayCredentials& c) {
  channels::form::Fields fields = {
      {"app_id", c.app_id},
      {"biz_content",
       R"({"out_trade_no":"b_0123456789abcdef","refund_amount":"4.99","out_request_no":"r_1"})"},
      {"charset", "utf-8"},
      {"format", "JSON"},
      {"method", "alipay.trade.refund"},
      {"sign_type", "RSA2"},
      {"timestamp", "2024-01-01 00:00:00"},
      {"version", "1.0"}};
  auto sign = c.app_private_key.sign_sha256(channels::alipay::sign_content(fields, true));
  fields.emplace_back("sign", base64::encode(*sign));
  return {gateway,
          {{"content-type", "application/x-www-form-urlencoded;charset=utf-8"}},
          channels::form::encode(fields),
          10000ms};
}

// Proves the Alipay flow against the simulator: query before payment is pending
// (ACQ.TRADE_NOT_EXIST), the payer "pays" the prepared order_string, the signed query
// answer verifies and says paid with the amount; a signed refund moves the money once
// (a repeat is fund_change N) and the trade then reads as closed.
TEST_F(ProviderSimTest, AlipayPrepareQueryRefund) {
  const std::string merchant = make_merchant("alipay");
  auto pay = run(adapter("alipay").prepare(context(), {bill_, notify_url("alipay")}));
  ASSERT_TRUE(pay.ok()) << pay.error().message;
  auto pending = run(adapter("alipay").query(context(), bill_));
  ASSERT_TRUE(pending.ok()) << pending.error().message;
  EXPECT_EQ(pending->status, ProviderStatus::pending);

  const std::string order_string = json::parse(pay->json)->find("order_string")->string;
  json::Writer order;
  order.begin_object().key("channel").string("alipay").key("order_string").string(order_string).end_object();
  json::Value paid_order = control("/sim/orders", order.take());
  EXPECT_EQ(paid_order.find("state")->string, "paid");
  EXPECT_EQ(paid_order.find("notify_url")->string, notify_url("alipay"));
  auto paid = run(adapter("alipay").query(context(), bill_));
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_EQ(paid->status, ProviderStatus::paid);
  EXPECT_EQ(paid->amount_minor, 499);
  EXPECT_EQ(paid->currency, "CNY");
  EXPECT_EQ(paid->merchant_id, merchant);

  const auto& c = *std::dynamic_pointer_cast<const channels::AlipayCredentials>(credentials_);
  for (const char* fund_change : {"\"fund_change\":\"Y\"", "\"fund_change\":\"N\""}) {
    OutboundResponse refund = call(alipay_refund_request(sim_->alipay_url(), c));
    auto raw = channels::alipay::raw_member(refund.body, "alipay_trade_refund_response");
    ASSERT_TRUE(raw.has_value()) << refund.body;
    auto sign = base64::decode(json::parse(refund.body)->find("sign")->string);
    EXPECT_TRUE(c.alipay_public_key.verify_sha256(*raw, *sign));
    EXPECT_NE(raw->find(fund_change), std::string::npos) << *raw;
    EXPECT_NE(raw->find("\"refund_fee\":\"4.99\""), std::string::npos) << *raw;
  }
  EXPECT_EQ(run(adapter("alipay").query(context(), bill_))->status, ProviderStatus::closed);
  json::Value book = control("/sim/orders/alipay/" + merchant + "/" + std::string(kBill), "");
  EXPECT_EQ(book.find("refunded_minor")->integer, 499);
}

// Proves a request not signed with the merchant's app key is refused by the gateway with
// isv.invalid-signature (and the adapter reads that as an unknown outcome).
TEST_F(ProviderSimTest, AlipayRefusesForgedRequests) {
  make_merchant("alipay");
  const auto& c = *std::dynamic_pointer_cast<const channels::AlipayCredentials>(credentials_);
  auto forged =
      std::make_shared<channels::AlipayCredentials>(c.alipay_public_key, crypto::RsaPrivateKey::generate());
  forged->app_id = c.app_id;
  forged->seller_id = c.seller_id;
  OutboundResponse answer = call(alipay_refund_request(sim_->alipay_url(), *forged));
  EXPECT_NE(answer.body.find("isv.invalid-signature"), std::string::npos) << answer.body;
}

// Proves Alipay notifications from the simulator verify with the adapter, and each
// tampering is refused the way the adapter should refuse it (signature 401, merchant and
// app 409) or, validly signed, states the tampered amount or currency for the bill check.
TEST_F(ProviderSimTest, AlipayNotificationsAndTampering) {
  const std::string merchant = make_merchant("alipay");
  control("/sim/orders", R"({"channel":"alipay","merchant":")" + merchant + R"(","bill_id":")" +
                             std::string(kBill) + R"(","amount_minor":499,"state":"pending","notify_url":")" +
                             notify_url("alipay") + "\"}");
  EXPECT_EQ(notify("alipay", merchant, R"(,"tamper":"signature")"), 401);
  EXPECT_EQ(last_received().error().code, Errc::bad_signature);
  EXPECT_EQ(notify("alipay", merchant, R"(,"tamper":"merchant")"), 409);
  EXPECT_EQ(notify("alipay", merchant, R"(,"tamper":"app")"), 409);
  EXPECT_EQ(notify("alipay", merchant, R"(,"tamper":"amount")"), 200);
  EXPECT_EQ(last_received()->amount_minor, 500);
  EXPECT_EQ(notify("alipay", merchant, R"(,"tamper":"currency")"), 200);
  EXPECT_EQ(last_received()->currency, "USD");
  control("/sim/notify",
          R"({"channel":"alipay","merchant":")" + merchant + R"(","bill_id":")" + std::string(kBill) +
              R"(","tamper":"stale_timestamp"})",
          400);
  // Tampered notifications changed nothing in the simulator's books.
  EXPECT_EQ(control("/sim/orders/alipay/" + merchant + "/" + std::string(kBill), "").find("state")->string,
            "pending");
  EXPECT_EQ(notify("alipay", merchant, ""), 200);
  auto paid = last_received();
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_EQ(paid->status, ProviderStatus::paid);
  EXPECT_EQ(paid->amount_minor, 499);
  EXPECT_FALSE(paid->trade_no.empty());
  EXPECT_EQ(run(adapter("alipay").query(context(), bill_))->trade_no, paid->trade_no);
  EXPECT_EQ(notify("alipay", merchant, R"(,"outcome":"refunded")"), 200);
  EXPECT_EQ(last_received()->status, ProviderStatus::refunded);
}

// A WeChat Pay API request signed like unipay's (WECHATPAY2-SHA256-RSA2048).
OutboundRequest wechat_request(const std::string& base, const channels::WechatpayCredentials& c,
                               const std::string& method, const std::string& path, const std::string& body) {
  channels::wechatpay::Authorization a{c.mchid, crypto::random_hex(16), std::to_string(now_s()),
                                       c.merchant_serial, ""};
  auto sign = c.merchant_private_key.sign_sha256(
      channels::wechatpay::request_message(method, path, a.timestamp, a.nonce_str, body));
  a.signature = base64::encode(*sign);
  OutboundRequest request{
      base + path, {{"authorization", channels::wechatpay::format_authorization(a)}}, body, 10000ms};
  request.method = method;
  return request;
}

// A signed POST /v3/refund/domestic/refunds, as unipay's refund will send it.
OutboundRequest wechat_refund_request(const std::string& base, const channels::WechatpayCredentials& c) {
  return wechat_request(base, c, "POST", "/v3/refund/domestic/refunds",
                        R"({"out_trade_no":"b_0123456789abcdef","out_refund_no":"r_1",)"
                        R"("amount":{"refund":499,"total":499,"currency":"CNY"}})");
}

// Proves the WeChat Pay flow against the simulator: prepare makes a real signed prepay
// call and yields the client's pay object; the query is NOTPAY (pending) until the order is
// paid, then SUCCESS with the amount; a signed refund is accepted (PROCESSING), the query
// then says REFUND and REFUND.SUCCESS is notified; the same refund again is one refund,
// SUCCESS, and so is its query; answers are signed and verified by the adapter throughout.
TEST_F(ProviderSimTest, WechatpayPrepareQueryRefund) {
  const std::string merchant = make_merchant("wechatpay");
  auto pay = run(adapter("wechatpay").prepare(context(), {bill_, notify_url("wechatpay")}));
  ASSERT_TRUE(pay.ok()) << pay.error().message;
  auto fields = json::parse(pay->json);
  EXPECT_TRUE(fields->find("prepayid")->string.starts_with("wx"));
  EXPECT_EQ(fields->find("partnerid")->string, merchant);
  auto again = run(adapter("wechatpay").prepare(context(), {bill_, notify_url("wechatpay")}));
  EXPECT_EQ(json::parse(again->json)->find("prepayid")->string, fields->find("prepayid")->string);

  auto pending = run(adapter("wechatpay").query(context(), bill_));
  ASSERT_TRUE(pending.ok()) << pending.error().message;
  EXPECT_EQ(pending->status, ProviderStatus::pending);
  control("/sim/orders", R"({"channel":"wechatpay","merchant":")" + merchant + R"(","bill_id":")" +
                             std::string(kBill) + R"(","state":"paid"})");
  auto paid = run(adapter("wechatpay").query(context(), bill_));
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_EQ(paid->status, ProviderStatus::paid);
  EXPECT_EQ(paid->amount_minor, 499);
  EXPECT_EQ(paid->currency, "CNY");

  const auto& c = *std::dynamic_pointer_cast<const channels::WechatpayCredentials>(credentials_);
  OutboundResponse refund = call(wechat_refund_request(sim_->wechatpay_url(), c));
  EXPECT_EQ(refund.status, 200) << refund.body;
  EXPECT_NE(refund.body.find("\"status\":\"PROCESSING\""), std::string::npos) << refund.body;
  EXPECT_EQ(run(adapter("wechatpay").query(context(), bill_))->status, ProviderStatus::refunded);
  // Then REFUND.SUCCESS, signed and encrypted, reaches the order's notify_url.
  Result<channels::ProviderResult> notified = last_received();
  for (int i = 0; i < 200 && !(notified && notified->status == ProviderStatus::refunded); ++i) {
    std::this_thread::sleep_for(50ms);
    notified = last_received();
  }
  ASSERT_TRUE(notified.ok()) << notified.error().message;
  EXPECT_EQ(notified->status, ProviderStatus::refunded);
  EXPECT_EQ(notified->refund_amount_minor, 499);
  // The same out_refund_no again is the same refund, now SUCCESS; the query says so too.
  OutboundResponse repeated = call(wechat_refund_request(sim_->wechatpay_url(), c));
  EXPECT_NE(repeated.body.find("\"status\":\"SUCCESS\""), std::string::npos) << repeated.body;
  OutboundResponse queried =
      call(wechat_request(sim_->wechatpay_url(), c, "GET", "/v3/refund/domestic/refunds/r_1", ""));
  EXPECT_EQ(queried.status, 200) << queried.body;
  EXPECT_NE(queried.body.find("\"status\":\"SUCCESS\""), std::string::npos) << queried.body;
  EXPECT_EQ(
      call(wechat_request(sim_->wechatpay_url(), c, "GET", "/v3/refund/domestic/refunds/r_9", "")).status,
      404);
  auto order = sim_->state().order("wechatpay", merchant, kBill);
  ASSERT_TRUE(order.has_value());
  EXPECT_EQ(order->refunds.size(), 1u);
}

// Proves the API refuses a request signed with another key (401 SIGN_ERROR, signed).
TEST_F(ProviderSimTest, WechatpayRefusesForgedRequests) {
  make_merchant("wechatpay");
  const auto& c = *std::dynamic_pointer_cast<const channels::WechatpayCredentials>(credentials_);
  channels::WechatpayCredentials forged(crypto::RsaPrivateKey::generate());
  forged.mchid = c.mchid;
  forged.merchant_serial = c.merchant_serial;
  OutboundResponse answer = call(wechat_refund_request(sim_->wechatpay_url(), forged));
  EXPECT_EQ(answer.status, 401);
  EXPECT_NE(answer.body.find("SIGN_ERROR"), std::string::npos);
  bool signed_answer = false;
  for (const auto& [name, value] : answer.headers) signed_answer |= name == "wechatpay-signature";
  EXPECT_TRUE(signed_answer);
}

// Proves WeChat Pay notifications verify and decrypt with the adapter, and each tampering
// is refused as it should be: signature and unknown serial 401 bad_signature, stale
// timestamp 401 stale_timestamp, merchant and app 409; amount and currency are signed
// statements that reach the bill check.
TEST_F(ProviderSimTest, WechatpayNotificationsAndTampering) {
  const std::string merchant = make_merchant("wechatpay");
  ASSERT_TRUE(run(adapter("wechatpay").prepare(context(), {bill_, notify_url("wechatpay")})).ok());
  EXPECT_EQ(notify("wechatpay", merchant, R"(,"tamper":"signature")"), 401);
  EXPECT_EQ(last_received().error().code, Errc::bad_signature);
  EXPECT_EQ(notify("wechatpay", merchant, R"(,"tamper":"unknown_serial")"), 401);
  EXPECT_EQ(last_received().error().code, Errc::bad_signature);
  EXPECT_EQ(notify("wechatpay", merchant, R"(,"tamper":"stale_timestamp")"), 401);
  EXPECT_EQ(last_received().error().code, Errc::stale_timestamp);
  EXPECT_EQ(notify("wechatpay", merchant, R"(,"tamper":"merchant")"), 409);
  EXPECT_EQ(notify("wechatpay", merchant, R"(,"tamper":"app")"), 409);
  EXPECT_EQ(notify("wechatpay", merchant, R"(,"tamper":"amount")"), 204);
  EXPECT_EQ(last_received()->amount_minor, 500);
  EXPECT_EQ(notify("wechatpay", merchant, R"(,"tamper":"currency")"), 204);
  EXPECT_EQ(last_received()->currency, "USD");
  EXPECT_EQ(run(adapter("wechatpay").query(context(), bill_))->status, ProviderStatus::pending);
  EXPECT_EQ(notify("wechatpay", merchant, ""), 204);
  auto paid = last_received();
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_EQ(paid->status, ProviderStatus::paid);
  EXPECT_EQ(paid->bill_id, kBill);
  EXPECT_EQ(run(adapter("wechatpay").query(context(), bill_))->trade_no, paid->trade_no);
  EXPECT_EQ(notify("wechatpay", merchant, R"(,"outcome":"refunded")"), 204);
  EXPECT_EQ(last_received()->status, ProviderStatus::refunded);
  control("/sim/notify",
          R"({"channel":"wechatpay","merchant":")" + merchant + R"(","bill_id":")" + std::string(kBill) +
              R"(","outcome":"closed"})",
          400);
}

// Proves a dry run answers the notification without sending or applying it, and a notification about
// a bill the simulator never saw (another app's bill) can be made from the given amount.
TEST_F(ProviderSimTest, DryRunAndForeignBills) {
  const std::string merchant = make_merchant("wechatpay");
  json::Value dry = control("/sim/notify",
                            R"({"channel":"wechatpay","merchant":")" + merchant +
                                R"(","bill_id":"b_other","amount_minor":100,"currency":"CNY","send":false})");
  ASSERT_NE(dry.find("headers"), nullptr);
  EXPECT_NE(dry.find("headers")->find("wechatpay-signature"), nullptr);
  std::vector<http::Header> headers;
  for (const auto& [name, value] : dry.find("headers")->members) headers.push_back({name, value.string});
  channels::ChannelContext ctx = context();
  auto verified = adapter("wechatpay").verify_callback(ctx, {headers, dry.find("body")->string, {}});
  ASSERT_TRUE(verified.result().ok()) << verified.result().error().message;
  EXPECT_EQ(verified.result()->bill_id, "b_other");
  EXPECT_EQ(verified.result()->amount_minor, 100);
  ASSERT_TRUE(run(adapter("wechatpay").prepare(context(), {bill_, notify_url("wechatpay")})).ok());
  control("/sim/notify", R"({"channel":"wechatpay","merchant":")" + merchant + R"(","bill_id":")" +
                             std::string(kBill) + R"(","send":false})");
  EXPECT_EQ(run(adapter("wechatpay").query(context(), bill_))->status,
            ProviderStatus::pending);  // not applied
  control("/sim/notify",
          R"({"channel":"wechatpay","merchant":")" + merchant + R"(","bill_id":"b_none","url":")" +
              notify_url("wechatpay") + "\"}",
          404);
}

// Proves the Stripe flow against the simulator: prepare makes a PaymentIntent under the
// Bearer key and yields its client_secret (the same one again: one PaymentIntent per bill);
// the search query is pending until paid, then paid with the amount and the PaymentIntent
// id, which retrieve agrees with; a refund is succeeded and a retry with the same refund id
// moves no more money; a wrong secret key is a refusal (401).
TEST_F(ProviderSimTest, StripePrepareQueryRefund) {
  urls_.stripe = sim_->base_url();
  const std::string merchant = make_merchant("stripe");
  auto pay = run(adapter("stripe").prepare(context(), {bill_, ""}));
  ASSERT_TRUE(pay.ok()) << pay.error().message;
  const std::string client_secret = json::parse(pay->json)->find("client_secret")->string;
  EXPECT_TRUE(client_secret.starts_with("pi_")) << client_secret;
  auto again = run(adapter("stripe").prepare(context(), {bill_, ""}));
  EXPECT_EQ(json::parse(again->json)->find("client_secret")->string, client_secret);
  EXPECT_EQ(run(adapter("stripe").query(context(), bill_))->status, ProviderStatus::pending);

  control("/sim/orders", R"({"channel":"stripe","merchant":")" + merchant + R"(","bill_id":")" +
                             std::string(kBill) + R"(","state":"paid"})");
  auto paid = run(adapter("stripe").query(context(), bill_));
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_EQ(paid->status, ProviderStatus::paid);
  EXPECT_EQ(paid->amount_minor, 499);
  EXPECT_EQ(paid->currency, "CNY");
  EXPECT_TRUE(client_secret.starts_with(paid->trade_no + "_secret_"));
  auto retrieved = run(channels::stripe::retrieve_payment_intent(context(), bill_, paid->trade_no));
  ASSERT_TRUE(retrieved.ok()) << retrieved.error().message;
  EXPECT_EQ(retrieved->status, ProviderStatus::paid);

  const channels::RefundInput refund{bill_, "r_1", 200, "test"};
  auto first = run(adapter("stripe").refund(context(), refund));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->status, ProviderStatus::refunded);
  auto retried = run(adapter("stripe").refund(context(), refund));
  ASSERT_TRUE(retried.ok()) << retried.error().message;
  EXPECT_EQ(retried->provider_refund_id, first->provider_refund_id);
  EXPECT_EQ(control("/sim/orders/stripe/" + merchant + "/" + std::string(kBill), "")
                .find("refunded_minor")
                ->integer,
            200);

  auto forged = std::make_shared<channels::StripeCredentials>(
      *std::dynamic_pointer_cast<const channels::StripeCredentials>(credentials_));
  forged->secret_key = "sk_test_not_the_merchants";
  credentials_ = forged;
  auto refused = run(adapter("stripe").query(context(), bill_));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("401"), std::string::npos) << refused.error().message;
}

// Proves the simulator's Stripe webhooks verify with the adapter, and each tampering is
// refused as Stripe's libraries refuse it (signature 401 bad_signature, stale timestamp 401
// stale_timestamp), amount and currency are signed statements that reach the bill check,
// and failed / refunded name the bill with the right status.
TEST_F(ProviderSimTest, StripeWebhooksAndTampering) {
  urls_.stripe = sim_->base_url();
  const std::string merchant = make_merchant("stripe");
  ASSERT_TRUE(run(adapter("stripe").prepare(context(), {bill_, ""})).ok());
  const std::string to = R"(,"url":")" + notify_url("stripe") + "\"";
  EXPECT_EQ(notify("stripe", merchant, to + R"(,"tamper":"signature")"), 401);
  EXPECT_EQ(last_received().error().code, Errc::bad_signature);
  EXPECT_EQ(notify("stripe", merchant, to + R"(,"tamper":"stale_timestamp")"), 401);
  EXPECT_EQ(last_received().error().code, Errc::stale_timestamp);
  EXPECT_EQ(notify("stripe", merchant, to + R"(,"tamper":"amount")"), 200);
  EXPECT_EQ(last_received()->amount_minor, 500);
  EXPECT_EQ(notify("stripe", merchant, to + R"(,"tamper":"currency")"), 200);
  EXPECT_EQ(last_received()->currency, "USD");
  EXPECT_EQ(run(adapter("stripe").query(context(), bill_))->status, ProviderStatus::pending);
  EXPECT_EQ(notify("stripe", merchant, to + R"(,"outcome":"failed")"), 200);
  EXPECT_EQ(last_received()->status, ProviderStatus::failed);
  EXPECT_EQ(notify("stripe", merchant, to), 200);
  auto paid = last_received();
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_EQ(paid->status, ProviderStatus::paid);
  EXPECT_EQ(paid->bill_id, kBill);
  EXPECT_EQ(run(adapter("stripe").query(context(), bill_))->trade_no, paid->trade_no);
  EXPECT_EQ(notify("stripe", merchant, to + R"(,"outcome":"refunded")"), 200);
  auto refunded = last_received();
  ASSERT_TRUE(refunded.ok()) << refunded.error().message;
  EXPECT_EQ(refunded->status, ProviderStatus::refunded);
  EXPECT_EQ(refunded->bill_id, kBill);
  EXPECT_EQ(refunded->refund_amount_minor, 499);
  EXPECT_EQ(refunded->trade_no, paid->trade_no);
  control("/sim/notify",
          R"({"channel":"stripe","merchant":")" + merchant + R"(","bill_id":")" + std::string(kBill) +
              R"(","tamper":"merchant"})",
          400);
}

}  // namespace
}  // namespace unipay::sim

namespace unipay::sim {
namespace {

// An App Store Server API token like unipay's, with one claim or header field changed.
std::string apple_token(const channels::AppleCredentials& c, const std::string& kid, const std::string& aud,
                        int64_t iat, int64_t exp) {
  json::Writer header;
  header.begin_object()
      .key("alg")
      .string("ES256")
      .key("kid")
      .string(kid)
      .key("typ")
      .string("JWT")
      .end_object();
  json::Writer claims;
  claims.begin_object().key("iss").string(c.issuer_id).key("iat").integer(iat).key("exp").integer(exp);
  claims.key("aud").string(aud).key("bid").string(c.bundle_id).end_object();
  return *channels::jose::sign_es256(header.str(), claims.str(), c.private_key);
}

// Proves the simulated App Store Server API: a transaction the App Store signed is found by
// GET /inApps/v1/transactions/{id} under the app's ES256 token and the adapter's lookup
// verifies its signedTransactionInfo and ties it to the bill (paid, the product's item); an
// unknown id is 404 (a refusal); a token Apple would refuse (unknown kid, another audience,
// valid for more than an hour, expired, no token) is 401.
TEST_F(ProviderSimTest, AppleTransactionLookupChecksTheApiToken) {
  const std::string bill_id = "b_01HZY3K5Q8R2T4V6W8X0Y2Z4A6";
  const auto account_token = channels::app_account_token(bill_id);
  ASSERT_TRUE(account_token.has_value());
  json::Value made =
      control("/sim/apple/credentials", R"({"bundle_id":"com.example.game","environment":"Sandbox",)"
                                        R"("products":{"com.example.gems500":"gem_500"}})");
  auto parsed = adapter("apple").parse_credentials(*made.find("credentials"));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  credentials_ = *parsed;
  control("/sim/apple/transaction",
          R"({"bundle_id":"com.example.game","environment":"Sandbox",)"
          R"("product_id":"com.example.gems500","transaction_id":"2000000000000042",)"
          R"("app_account_token":")" +
              *account_token + R"("})");
  channels::BillView bill = bill_;
  bill.bill_id = bill_id;
  auto paid = run(adapter("apple").verify_receipt(context(), bill, "2000000000000042"));
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_EQ(paid->status, ProviderStatus::paid);
  EXPECT_EQ(paid->trade_no, "2000000000000042");
  EXPECT_EQ(paid->item_id, "gem_500");
  auto unknown = run(adapter("apple").verify_receipt(context(), bill, "2000000000000043"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::invalid_parameter);

  const auto& c = *std::dynamic_pointer_cast<const channels::AppleCredentials>(credentials_);
  auto lookup = [&](const std::string& token) {
    OutboundRequest request{sim_->base_url() + "/inApps/v1/transactions/2000000000000042", {}, "", 10000ms};
    request.method = "GET";
    if (!token.empty()) request.headers.emplace_back("authorization", "Bearer " + token);
    return call(std::move(request)).status;
  };
  const int64_t now = now_s();
  EXPECT_EQ(lookup(apple_token(c, c.key_id, "appstoreconnect-v1", now, now + 300)), 200);
  EXPECT_EQ(lookup(apple_token(c, "SIMNOKEY", "appstoreconnect-v1", now, now + 300)), 401);
  EXPECT_EQ(lookup(apple_token(c, c.key_id, "appstoreconnect-v2", now, now + 300)), 401);
  EXPECT_EQ(lookup(apple_token(c, c.key_id, "appstoreconnect-v1", now, now + 3601)), 401);
  EXPECT_EQ(lookup(apple_token(c, c.key_id, "appstoreconnect-v1", now - 600, now - 1)), 401);
  EXPECT_EQ(lookup(""), 401);
}

}  // namespace
}  // namespace unipay::sim
