// net/channels/channel_adapter: the registry finds adapters by name, an app's channels
// object is parsed once into typed credentials with every problem listed, and run_steps
// drives provider calls with its limit.
#include "net/channels/channel_adapter.hpp"

#include <gtest/gtest.h>

#include "tests/net/channels/test_support.hpp"

namespace unipay::channels {
namespace {

// Proves the default registry holds exactly sandbox, alipay and wechatpay, by name.
TEST(ChannelRegistry, DefaultChannels) {
  const ChannelRegistry& registry = default_registry();
  EXPECT_EQ(registry.names(),
            (std::vector<std::string_view>{"alipay", "apple", "google", "sandbox", "stripe", "wechatpay"}));
  for (auto name : registry.names()) EXPECT_EQ(registry.find(name)->name(), name);
  EXPECT_EQ(registry.find("paypal"), nullptr);
  EXPECT_TRUE(registry.find("alipay")->traits().has_query);
  EXPECT_TRUE(registry.find("wechatpay")->traits().has_query);
}

// Proves an app's channels parse into configured channels found by name, and a channel not
// configured is absent (bill creation answers 400 for it).
TEST(AppChannels, ParsesConfiguredChannels) {
  auto channels = json::parse(R"({"sandbox":{"secret":"s1"}})");
  auto parsed = parse_app_channels(default_registry(), *channels);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const ConfiguredChannel* sandbox = parsed->find("sandbox");
  ASSERT_NE(sandbox, nullptr);
  EXPECT_EQ(sandbox->adapter->name(), "sandbox");
  EXPECT_EQ(sandbox->credentials->channel(), "sandbox");
  EXPECT_EQ(parsed->find("alipay"), nullptr);
}

// Proves one invalid_parameter lists every problem of every channel, unknown names included.
TEST(AppChannels, ListsEveryProblem) {
  auto channels = json::parse(R"({"sandbox":{},"alipay":{"app_id":"1"},"paypal":{},"wechatpay":"x"})");
  auto parsed = parse_app_channels(default_registry(), *channels);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, Errc::invalid_parameter);
  for (const char* part :
       {"channels.sandbox: secret is required", "channels.alipay: seller_id is required",
        "alipay_public_key is required",
        "unknown channel paypal (known: alipay, apple, google, sandbox, stripe, wechatpay)",
        "channels.wechatpay: must be an object"}) {
    EXPECT_NE(parsed.error().message.find(part), std::string::npos)
        << part << " in " << parsed.error().message;
  }
  EXPECT_FALSE(parse_app_channels(default_registry(), *json::parse("[]")).ok());
}

// Proves the operations a channel lacks answer invalid_parameter instead of pretending, and
// that the sandbox confirms a refund at once (so studios can test admin refunds).
TEST(ChannelAdapter, UnsupportedOperations) {
  const ChannelAdapter& sandbox = *default_registry().find("sandbox");
  ProviderUrls urls;
  ChannelContext context{sandbox.parse_credentials(*json::parse(R"({"secret":"s"})")).value(), urls, 0};
  BillView bill{"b_1", "app", "item", 1, "USD", 0};
  EXPECT_EQ(sandbox.query(context, bill).result().error().code, Errc::invalid_parameter);
  EXPECT_EQ(sandbox.verify_receipt(context, bill, "r").result().error().code, Errc::invalid_parameter);
  // Refunds: apple has no refund API (the default answer); sandbox confirms at once.
  const ChannelAdapter& apple = *default_registry().find("apple");
  EXPECT_EQ(apple.refund(context, RefundInput{bill, "r1", 1, ""}).result().error().code,
            Errc::invalid_parameter);
  auto refunded = sandbox.refund(context, RefundInput{bill, "r1", 1, ""});
  ASSERT_TRUE(refunded.done());
  EXPECT_EQ(refunded.result()->status, ProviderStatus::refunded);
  EXPECT_EQ(refunded.result()->provider_refund_id, "r1");
}

// Proves the provider URLs come from [providers] and default to the production URLs.
TEST(ChannelAdapter, ProviderUrlsFromConfig) {
  const ProviderUrls defaults;
  EXPECT_EQ(defaults.alipay, "https://openapi.alipay.com/gateway.do");
  EXPECT_EQ(defaults.wechatpay, "https://api.mch.weixin.qq.com");
  config::ProvidersConfig providers;
  providers.alipay_url = "http://127.0.0.1:1/gateway.do";
  providers.wechatpay_url = "http://127.0.0.1:2";
  providers.apple_production_url = "http://127.0.0.1:3";
  providers.apple_sandbox_url = "http://127.0.0.1:4";
  providers.google_url = "http://127.0.0.1:5";
  providers.stripe_url = "http://127.0.0.1:6";
  const ProviderUrls urls = provider_urls(providers);
  EXPECT_EQ(urls.alipay, "http://127.0.0.1:1/gateway.do");
  EXPECT_EQ(urls.wechatpay, "http://127.0.0.1:2");
  EXPECT_EQ(urls.apple_production, "http://127.0.0.1:3");
  EXPECT_EQ(urls.apple_sandbox, "http://127.0.0.1:4");
  EXPECT_EQ(urls.google, "http://127.0.0.1:5");
  EXPECT_EQ(urls.stripe, "http://127.0.0.1:6");
}

Step<int> countdown(int n) {
  if (n == 0) return 42;
  return Step<int>::call(
      OutboundRequest{"GET", "http://x/" + std::to_string(n), {}, ""},
      [n](const OutboundResponse& r) { return r.status == 200 ? countdown(n - 1) : Error{}; });
}

// Proves run_steps follows calls to the result, stops at max_calls, and passes transport
// errors through unchanged.
TEST(ProviderCall, RunStepsFollowsAndLimits) {
  int calls = 0;
  Transport ok = [&calls](const OutboundRequest&) -> Result<OutboundResponse> {
    ++calls;
    return OutboundResponse{200, {}, ""};
  };
  EXPECT_EQ(*run_steps(countdown(3), ok, 3), 42);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(run_steps(countdown(4), ok, 3).error().code, Errc::server_busy);
  Transport down = [](const OutboundRequest&) -> Result<OutboundResponse> {
    return make_error(Errc::server_busy, "connection refused");
  };
  EXPECT_EQ(run_steps(countdown(1), down, 3).error().message, "connection refused");
}

}  // namespace
}  // namespace unipay::channels
