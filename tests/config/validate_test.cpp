// validate(), listen-address parsing and the docs: every rule, and every setting documented.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "config/settings.hpp"
#include "config_test_util.hpp"

namespace unipay::config::test {
namespace {

using namespace std::chrono_literals;

Config valid_config() {
  Config c;
  c.server.node_id = "node-test";
  return c;
}

bool has(const std::vector<std::string>& errors, const std::string& part) {
  return std::any_of(errors.begin(), errors.end(), [&](const std::string& e) { return contains(e, part); });
}

// Proves: the built-in defaults are valid once a node id is set (parse_invocation sets it).
TEST(Validate, DefaultsAreValid) {
  EXPECT_TRUE(validate(valid_config()).empty());
  EXPECT_TRUE(has(validate(Config{}), "server.node_id"));
}

// Proves: range rules are each reported, all in one pass.
TEST(Validate, RangesAreCheckedTogether) {
  Config c = valid_config();
  c.server.listen_port = 0;
  c.server.io_threads = 0;
  c.server.actor_threads = 257;
  c.server.max_body_bytes = 1023;
  c.server.log_level = "verbose";
  c.server.admin_token = "has space";
  c.database.data_dir = "";
  c.database.embedded_port = 0;
  c.bills.ttl_s = 0s;
  c.delivery.poll_interval_ms = -5ms;
  c.delivery.give_up_after_s = std::chrono::hours(100000);  // beyond a year
  c.delivery.claim_batch = 0;
  const auto errors = validate(c);
  EXPECT_EQ(errors.size(), 12u);
  for (const char* name :
       {"server.listen port", "server.io_threads", "server.actor_threads", "server.max_body_bytes",
        "server.log_level", "server.admin_token", "database.data_dir", "database.embedded_port",
        "bills.ttl_s", "delivery.poll_interval_ms", "delivery.give_up_after_s", "delivery.claim_batch"}) {
    EXPECT_TRUE(has(errors, name)) << name;
  }
}

// Proves: the janitor's settings ([channels]) are range-checked: a query delay must be
// positive, and fewer than 10 queries in all would leave the final query (at expiry) too
// few tries after the early ones; the Pub/Sub messageId memory is bounded (1+ entries, at
// most Pub/Sub's 7-day retention).
TEST(Validate, ChannelsJanitorLimits) {
  Config c = valid_config();
  c.channels.query_after_s = 0s;
  c.channels.verify_max_attempts = 9;
  c.channels.verify_max_concurrent = 0;
  c.channels.pubsub_dedup_entries = 0;
  c.channels.pubsub_dedup_ttl_s = 8 * 24h;
  const auto errors = validate(c);
  EXPECT_EQ(errors.size(), 5u);
  for (const char* name :
       {"channels.query_after_s", "channels.verify_max_attempts", "channels.verify_max_concurrent",
        "channels.pubsub_dedup_entries", "channels.pubsub_dedup_ttl_s"}) {
    EXPECT_TRUE(has(errors, name)) << name;
  }
}

// Proves: the in-flight limit of admission control is range-checked (issue 8.3).
TEST(Validate, AdmissionInFlightLimit) {
  Config c = valid_config();
  c.server.admission_latency_target_ms = 0ms;
  c.server.admission_max_in_flight = 7;
  const auto errors = validate(c);
  EXPECT_EQ(errors.size(), 2u);
  EXPECT_TRUE(has(errors, "server.admission_latency_target_ms"));
  EXPECT_TRUE(has(errors, "server.admission_max_in_flight"));
  c.server.admission_latency_target_ms = 1ms;
  c.server.admission_max_in_flight = 8;
  EXPECT_TRUE(validate(c).empty());
}

// Proves: the [callbacks] limits of unverified callbacks (issue 8.6) are range-checked; a
// queue longer than one statement's parameters allow is refused.
TEST(Validate, CallbackAuditLimits) {
  Config c = valid_config();
  c.callbacks.refused_audits_per_source_per_s = 0;
  c.callbacks.refused_audits_per_app_per_s = -1;
  c.callbacks.refused_audit_burst = 0;
  c.callbacks.refused_audit_queue_limit = 10001;
  c.callbacks.refused_audit_flush_ms = 0ms;
  c.callbacks.refused_audit_max_sources = 0;
  c.callbacks.app_reads_per_source_per_s = 0;
  c.callbacks.suspect_refusals_per_s = 0;
  c.callbacks.suspect_shut_out_ms = 0ms;
  c.callbacks.suspect_trust_ms = 0ms;
  const auto errors = validate(c);
  EXPECT_EQ(errors.size(), 10u);
  for (const char* name :
       {"callbacks.refused_audits_per_source_per_s", "callbacks.refused_audits_per_app_per_s",
        "callbacks.refused_audit_burst", "callbacks.refused_audit_queue_limit",
        "callbacks.refused_audit_flush_ms", "callbacks.refused_audit_max_sources",
        "callbacks.app_reads_per_source_per_s", "callbacks.suspect_refusals_per_s",
        "callbacks.suspect_shut_out_ms", "callbacks.suspect_trust_ms"}) {
    EXPECT_TRUE(has(errors, name)) << name;
  }
  c.callbacks = CallbacksConfig{};
  c.callbacks.refused_audit_queue_limit = 10000;
  EXPECT_TRUE(validate(c).empty());
}

// Proves: every [wallets] limit is checked, all in one pass.
TEST(Validate, WalletLimitsAreChecked) {
  Config c = valid_config();
  c.wallets.max_live_accounts = 0;
  c.wallets.max_pending_ops_per_account = 0;
  c.wallets.max_batch_ops = 0;
  c.wallets.max_active_holds = 0;
  c.wallets.actor_idle_ms = 0ms;
  c.wallets.hold_sweep_interval_ms = -1ms;
  c.wallets.hold_sweep_batch = 0;
  const auto errors = validate(c);
  EXPECT_EQ(errors.size(), 7u);
  for (const char* name : {"wallets.max_live_accounts", "wallets.max_pending_ops_per_account",
                           "wallets.max_batch_ops", "wallets.max_active_holds", "wallets.actor_idle_ms",
                           "wallets.hold_sweep_interval_ms", "wallets.hold_sweep_batch"}) {
    EXPECT_TRUE(has(errors, name)) << name;
  }
}

// Proves: an app's delivery share must fit the node's (1 ... max_concurrent), and the
// breaker's cool-down and the keep-alive idle time must be positive.
TEST(Validate, DeliveryShares) {
  Config c = valid_config();
  c.delivery.max_concurrent = 10;
  c.delivery.max_concurrent_per_app = 11;
  c.delivery.breaker_cooldown_ms = 0ms;
  c.delivery.keepalive_idle_ms = -1ms;
  auto errors = validate(c);
  EXPECT_EQ(errors.size(), 3u);
  for (const char* name :
       {"delivery.max_concurrent_per_app", "delivery.breaker_cooldown_ms", "delivery.keepalive_idle_ms"}) {
    EXPECT_TRUE(has(errors, name)) << name;
  }
  c = valid_config();
  c.delivery.max_concurrent_per_app = 0;
  EXPECT_TRUE(has(validate(c), "delivery.max_concurrent_per_app"));
}

// Proves: the rules that relate two settings are enforced.
TEST(Validate, CrossFieldRules) {
  Config c = valid_config();
  c.delivery.backoff_initial_ms = 5000ms;
  c.delivery.backoff_max_ms = 4000ms;
  c.server.longpoll_default_s = 61s;
  c.delivery.lease_ms = 10000ms;  // equal to timeout_ms: a running call could be reclaimed
  c.bills.nonce_window_s = 659s;  // less than twice the 300 s signature window + 60 s
  const auto errors = validate(c);
  EXPECT_EQ(errors.size(), 4u);
  EXPECT_TRUE(has(errors, "delivery.backoff_initial_ms (5000) must not exceed"));
  EXPECT_TRUE(has(errors, "server.longpoll_default_s (61) must not exceed"));
  EXPECT_TRUE(has(errors, "delivery.lease_ms (10000) must exceed delivery.timeout_ms"));
  EXPECT_TRUE(has(errors, "bills.nonce_window_s (659)"));
}

// Proves: the nonce memory must outlast twice the timestamp window plus the clock-skew
// margin: 600 s with 300 s windows (which let a replay 601 s after first use through) is
// refused, the default and the exact bound pass, and the bound follows the window.
TEST(Validate, NonceWindowCoversTimestampWindowAndSkew) {
  Config c = valid_config();
  EXPECT_GE(c.bills.nonce_window_s, 2 * c.bills.signature_window_s + kNonceSkewMarginS);
  c.bills.nonce_window_s = 600s;
  EXPECT_TRUE(has(validate(c), "bills.nonce_window_s (600) must be at least"));
  c.bills.nonce_window_s = 2 * c.bills.signature_window_s + kNonceSkewMarginS;
  EXPECT_TRUE(validate(c).empty());
  c.bills.signature_window_s = 30s;
  c.bills.nonce_window_s = 120s;
  EXPECT_TRUE(validate(c).empty());
  c.bills.nonce_window_s = 119s;
  EXPECT_TRUE(has(validate(c), "bills.nonce_window_s (119)"));
}

// Proves: a node counts as dead only after at least two heartbeat intervals without one,
// so a single late heartbeat never lets a node starting take over a live process's leases.
TEST(Validate, NodeDeadAfterCoversTwoHeartbeats) {
  Config c = valid_config();
  c.server.heartbeat_interval_ms = 5000ms;
  c.server.node_dead_after_ms = 10000ms;
  EXPECT_TRUE(validate(c).empty());
  c.server.node_dead_after_ms = 9999ms;
  const auto errors = validate(c);
  EXPECT_EQ(errors.size(), 1u);
  EXPECT_TRUE(
      has(errors, "server.node_dead_after_ms (9999) must be at least twice server.heartbeat_interval_ms"));
  c.server.heartbeat_interval_ms = 0ms;
  EXPECT_TRUE(has(validate(c), "server.heartbeat_interval_ms"));
}

// Proves: provider URLs and the public base URL must be http(s) base URLs (host, optional
// port and path; no query, fragment, user or trailing '/'), each problem named.
TEST(Validate, ProviderAndPublicUrls) {
  Config c = valid_config();
  c.server.public_base_url = "https://pay.example.com:8443/unipay";
  c.providers.alipay_url = "http://127.0.0.1:9100/gateway.do";
  c.providers.wechatpay_url = "http://[::1]:9100";
  EXPECT_TRUE(validate(c).empty());
  c.server.public_base_url = "https://pay.example.com/";
  c.providers.alipay_url = "ftp://openapi.alipay.com/gateway.do";
  c.providers.wechatpay_url = "https://api.mch.weixin.qq.com?x=1";
  c.providers.apple_production_url = "https://:443";
  c.providers.apple_sandbox_url = "https://host:99999";
  c.providers.google_url = "";
  c.providers.stripe_url = "https://user@api.stripe.com";
  const auto errors = validate(c);
  EXPECT_EQ(errors.size(), 7u);
  EXPECT_TRUE(has(errors, "server.public_base_url \"https://pay.example.com/\" must not end with '/'"));
  EXPECT_TRUE(
      has(errors, "providers.alipay_url \"ftp://openapi.alipay.com/gateway.do\" must start with http"));
  EXPECT_TRUE(has(errors, "providers.wechatpay_url"));
  EXPECT_TRUE(has(errors, "providers.apple_production_url \"https://:443\" has no valid host"));
  EXPECT_TRUE(has(errors, "providers.apple_sandbox_url \"https://host:99999\" has a bad port"));
  EXPECT_TRUE(has(errors, "providers.google_url"));
  EXPECT_TRUE(has(errors, "providers.stripe_url"));
}

// Proves: the provider-call limits are range-checked.
TEST(Validate, ProviderLimits) {
  Config c = valid_config();
  c.providers.max_concurrent_calls = 0;
  c.providers.max_calls_per_operation = 17;
  c.providers.max_response_bytes = 100;
  c.providers.idle_connection_ms = 0ms;
  const auto errors = validate(c);
  EXPECT_EQ(errors.size(), 4u);
  for (const char* name : {"providers.max_concurrent_calls", "providers.max_calls_per_operation",
                           "providers.max_response_bytes", "providers.idle_connection_ms"}) {
    EXPECT_TRUE(has(errors, name)) << name;
  }
}

// Proves: node ids are restricted to a safe alphabet and length, and the default passes.
TEST(Validate, NodeId) {
  Config c = valid_config();
  c.server.node_id = default_node_id();
  EXPECT_TRUE(validate(c).empty());
  c.server.node_id = "bad id";
  EXPECT_TRUE(has(validate(c), "server.node_id"));
  c.server.node_id = std::string(65, 'a');
  EXPECT_TRUE(has(validate(c), "server.node_id"));
}

// Proves: HOST:PORT parsing takes IPv4, names and bracketed IPv6 (kept without brackets).
TEST(ParseHostPort, Accepts) {
  struct Case {
    const char* text;
    const char* host;
    uint16_t port;
  };
  for (const Case& k :
       {Case{"127.0.0.1:8080", "127.0.0.1", 8080}, Case{"[::1]:8080", "::1", 8080}, Case{"[::]:1", "::", 1},
        Case{"localhost:65535", "localhost", 65535}, Case{"0.0.0.0:80", "0.0.0.0", 80}}) {
    auto parsed = parse_host_port(k.text);
    ASSERT_TRUE(parsed.ok()) << k.text << ": " << parsed.error().message;
    EXPECT_EQ(parsed->host, k.host);
    EXPECT_EQ(parsed->port, k.port);
    EXPECT_EQ(format_host_port(parsed->host, parsed->port), k.text);  // round trip
  }
}

// Proves: malformed listen addresses are refused with a reason, as values.
TEST(ParseHostPort, Refuses) {
  for (const char* text : {"", "host", ":80", "host:", "host:0", "host:65536", "host:8o", "::1:8080",
                           "[::1]8080", "[::1", "[zz]:80", "1.2.3.999:80", "-bad:80", "a b:80", "[::1]:"}) {
    auto parsed = parse_host_port(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().code, Errc::invalid_parameter);
    EXPECT_TRUE(contains(parsed.error().message, "HOST:PORT")) << parsed.error().message;
  }
  EXPECT_TRUE(contains(parse_host_port("::1:8080").error().message, "[::1]:8080"));
}

// Proves: docs/CONFIGURATION.md names every setting's TOML key, flag and variable.
TEST(Docs, ConfigurationMdCoversEverySetting) {
  std::ifstream in(std::string(UNIPAY_SOURCE_DIR) + "/docs/CONFIGURATION.md");
  ASSERT_TRUE(in) << "docs/CONFIGURATION.md missing";
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  for (const auto& s : detail::settings()) {
    EXPECT_TRUE(contains(doc, fmt::format("`{}`", s.toml_path()))) << s.toml_path();
    if (!s.flag.empty()) {
      EXPECT_TRUE(contains(doc, fmt::format("`{}", s.flag))) << s.flag;
      EXPECT_TRUE(contains(doc, fmt::format("`{}`", s.env))) << s.env;
    }
  }
  EXPECT_TRUE(contains(doc, "`UNIPAY_CONFIG`"));
}

}  // namespace
}  // namespace unipay::config::test
