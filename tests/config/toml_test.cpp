// apply_toml: every section and key, type checking, unknown keys and syntax errors.
#include <algorithm>

#include "config_test_util.hpp"

namespace unipay::config::test {
namespace {

using namespace std::chrono_literals;

bool has(const std::vector<std::string>& errors, const std::string& part) {
  return std::any_of(errors.begin(), errors.end(), [&](const std::string& e) { return contains(e, part); });
}

// Proves: keys of all five sections land in their fields, durations in their own units,
// and listen accepts a bracketed IPv6 address.
TEST(ApplyToml, SetsFieldsOfEverySection) {
  Config c;
  const auto errors = apply_toml(R"(
[server]
listen = "[::1]:8081"
io_threads = 2
read_timeout_ms = 5000
max_body_bytes = 131072
log_json = true
admin_token = "tok"
[database]
url = "postgresql://localhost/unipay"
data_dir = "/srv/unipay"
max_batch_ops = 256
[bills]
ttl_s = 900
actor_idle_ms = 30000
[delivery]
backoff_initial_ms = 500
give_up_after_s = 86400
allow_private = true
[callbacks]
refused_audits_per_source_per_s = 3
refused_audit_flush_ms = 100
[wallets]
max_pending_ops_per_account = 64
hold_sweep_interval_ms = 250
)",
                                 c);
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(c.server.listen_host, "::1");
  EXPECT_EQ(c.server.listen_port, 8081);
  EXPECT_EQ(c.server.io_threads, 2);
  EXPECT_EQ(c.server.read_timeout_ms, 5000ms);
  EXPECT_EQ(c.server.max_body_bytes, 131072u);
  EXPECT_TRUE(c.server.log_json);
  EXPECT_EQ(c.server.admin_token, "tok");
  EXPECT_EQ(c.database.url, "postgresql://localhost/unipay");
  EXPECT_EQ(c.database.data_dir, "/srv/unipay");
  EXPECT_EQ(c.database.max_batch_ops, 256u);
  EXPECT_EQ(c.bills.ttl_s, 900s);
  EXPECT_EQ(c.bills.actor_idle_ms, 30000ms);
  EXPECT_EQ(c.delivery.backoff_initial_ms, 500ms);
  EXPECT_EQ(c.delivery.give_up_after_s, 86400s);
  EXPECT_TRUE(c.delivery.allow_private);
  EXPECT_EQ(c.callbacks.refused_audits_per_source_per_s, 3);
  EXPECT_EQ(c.callbacks.refused_audit_flush_ms, 100ms);
  EXPECT_EQ(c.wallets.max_pending_ops_per_account, 64u);
  EXPECT_EQ(c.wallets.hold_sweep_interval_ms, 250ms);
  EXPECT_EQ(c.server.actor_threads, 2);  // untouched keys keep their defaults
}

// Proves: the [providers] table sets the provider URLs and the provider-call limits; the
// defaults are the production URLs.
TEST(ApplyToml, ProvidersTable) {
  Config c;
  EXPECT_EQ(c.providers.alipay_url, "https://openapi.alipay.com/gateway.do");
  EXPECT_EQ(c.providers.wechatpay_url, "https://api.mch.weixin.qq.com");
  EXPECT_EQ(c.providers.apple_production_url, "https://api.storekit.itunes.apple.com");
  EXPECT_EQ(c.providers.apple_sandbox_url, "https://api.storekit-sandbox.itunes.apple.com");
  EXPECT_EQ(c.providers.google_url, "https://androidpublisher.googleapis.com");
  EXPECT_EQ(c.providers.stripe_url, "https://api.stripe.com");
  const auto errors = apply_toml(R"(
[server]
public_base_url = "https://pay.example.com"
[providers]
alipay_url = "http://127.0.0.1:9100/gateway.do"
wechatpay_url = "http://127.0.0.1:9100"
allow_private = true
max_concurrent_calls = 10
max_calls_per_operation = 3
max_response_bytes = 4096
max_idle_connections = 0
idle_connection_ms = 1000
)",
                                 c);
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(c.server.public_base_url, "https://pay.example.com");
  EXPECT_EQ(c.providers.alipay_url, "http://127.0.0.1:9100/gateway.do");
  EXPECT_EQ(c.providers.wechatpay_url, "http://127.0.0.1:9100");
  EXPECT_TRUE(c.providers.allow_private);
  EXPECT_EQ(c.providers.max_concurrent_calls, 10u);
  EXPECT_EQ(c.providers.max_calls_per_operation, 3u);
  EXPECT_EQ(c.providers.max_response_bytes, 4096u);
  EXPECT_EQ(c.providers.max_idle_connections, 0u);
  EXPECT_EQ(c.providers.idle_connection_ms, 1000ms);
  EXPECT_EQ(c.providers.stripe_url, "https://api.stripe.com");  // untouched
}

// Proves: unknown keys and sections are each reported by their full name.
TEST(ApplyToml, UnknownKeysAreListed) {
  Config c;
  const auto errors = apply_toml("[server]\nfoo = 1\nlisten_port = 1\n[nope]\nx = 1\n", c);
  EXPECT_EQ(errors.size(), 3u);
  EXPECT_TRUE(has(errors, "unknown key server.foo"));
  EXPECT_TRUE(has(errors, "unknown key server.listen_port"));
  EXPECT_TRUE(has(errors, "unknown key nope"));
}

// Proves: wrong value types are errors naming the key and both types, and leave the field alone.
TEST(ApplyToml, WrongTypesAreErrors) {
  Config c;
  const auto errors = apply_toml(
      "server = { io_threads = \"2\", log_json = 1 }\n"
      "[bills]\nttl_s = 1.5\n[delivery]\nlease_ms = [1]\n",
      c);
  EXPECT_EQ(errors.size(), 4u);
  EXPECT_TRUE(has(errors, "server.io_threads: expected an integer, got a string"));
  EXPECT_TRUE(has(errors, "server.log_json: expected a boolean, got an integer"));
  EXPECT_TRUE(has(errors, "bills.ttl_s: expected an integer, got a floating-point number"));
  EXPECT_TRUE(has(errors, "delivery.lease_ms: expected an integer, got an array"));
  EXPECT_EQ(c.server.io_threads, 1);
}

// Proves: a section that is not a table, and numbers that do not fit a field, are errors.
TEST(ApplyToml, ShapeAndRangeErrors) {
  Config c;
  const auto errors =
      apply_toml("server = 3\n[database]\nreader_connections = 9999999999\nmax_batch_ops = -1\n", c);
  EXPECT_EQ(errors.size(), 3u);
  EXPECT_TRUE(has(errors, "server: expected a table"));
  EXPECT_TRUE(has(errors, "database.reader_connections: 9999999999 is out of range"));
  EXPECT_TRUE(has(errors, "database.max_batch_ops: -1 is out of range"));
}

// Proves: a syntax error is reported with its line, as a value (no exception escapes).
TEST(ApplyToml, SyntaxErrorHasLine) {
  Config c;
  const auto errors = apply_toml("[server]\nio_threads = \n", c);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(contains(errors[0], "line 2")) << errors[0];
}

}  // namespace
}  // namespace unipay::config::test
