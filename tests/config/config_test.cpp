// parse_invocation: defaults, layering of file < environment < flags, every pinned flag and
// environment variable, subcommands, --help and usage errors.
#include <fmt/format.h>

#include <functional>

#include "config/settings.hpp"
#include "config_test_util.hpp"

namespace unipay::config::test {
namespace {

using namespace std::chrono_literals;

// Proves: with no file, environment or flags, unipayd serves with the documented defaults.
TEST_F(ConfigTest, NoArgumentsServesWithDefaults) {
  const Invocation inv = run({});
  ASSERT_EQ(inv.command, Command::serve) << inv.message;
  const Config& c = inv.config;
  EXPECT_EQ(c.server.listen_host, "127.0.0.1");
  EXPECT_EQ(c.server.listen_port, 8080);
  EXPECT_EQ(c.database.url, "");
  EXPECT_EQ(c.database.data_dir, "./var");
  EXPECT_EQ(c.server.admin_token, "");
  EXPECT_FALSE(c.delivery.allow_private);
  EXPECT_EQ(c.delivery.backoff_initial_ms, 1000ms);
  EXPECT_EQ(c.delivery.backoff_max_ms, 600000ms);
  EXPECT_EQ(c.server.log_level, "info");
  EXPECT_EQ(c.server.node_id, default_node_id());
  EXPECT_EQ(c.server.node_id.rfind("node-", 0), 0u);
}

// Proves: a file beats defaults, the environment beats the file, a flag beats both.
TEST_F(ConfigTest, PrecedenceIsFileThenEnvironmentThenFlags) {
  const std::string path = write_file(
      "[server]\nio_threads = 3\nlog_level = \"debug\"\nactor_threads = 5\n"
      "[database]\ndata_dir = \"from-file\"\n");
  set_env("UNIPAY_DATA_DIR", "from-env");
  set_env("UNIPAY_IO_THREADS", "4");
  const Invocation inv = run({"--config", path, "--data-dir", "from-flag", "--actor-threads", "6"});
  ASSERT_EQ(inv.command, Command::serve) << inv.message;
  EXPECT_EQ(inv.config.database.data_dir, "from-flag");  // flag > env > file
  EXPECT_EQ(inv.config.server.io_threads, 4);            // env > file
  EXPECT_EQ(inv.config.server.log_level, "debug");       // file > default
  EXPECT_EQ(inv.config.server.actor_threads, 6);         // flag > file
}

// Proves: UNIPAY_CONFIG names the file when --config is absent, and --config wins over it.
TEST_F(ConfigTest, ConfigFileFromEnvironmentOrFlag) {
  set_env("UNIPAY_CONFIG", write_file("[bills]\nttl_s = 60\n"));
  EXPECT_EQ(run({}).config.bills.ttl_s, 60s);
  EXPECT_EQ(run({"--config", write_file("[bills]\nttl_s = 90\n")}).config.bills.ttl_s, 90s);
}

struct PinnedCase {
  std::string flag;
  std::string env;
  std::string value;  // empty for boolean flags (given bare; the environment gets "1")
  std::function<bool(const Config&)> holds;
};

std::vector<PinnedCase> pinned_cases() {
  return {
      {"--listen", "UNIPAY_LISTEN", "0.0.0.0:9000",
       [](const Config& c) { return c.server.listen_host == "0.0.0.0" && c.server.listen_port == 9000; }},
      {"--database-url", "UNIPAY_DATABASE_URL", "postgresql://db/x",
       [](const Config& c) { return c.database.url == "postgresql://db/x"; }},
      {"--data-dir", "UNIPAY_DATA_DIR", "/tmp/d",
       [](const Config& c) { return c.database.data_dir == "/tmp/d"; }},
      {"--admin-token", "UNIPAY_ADMIN_TOKEN", "s3cret-token",
       [](const Config& c) { return c.server.admin_token == "s3cret-token"; }},
      {"--token-key-file", "UNIPAY_TOKEN_KEY_FILE", "/etc/unipay/token.key",
       [](const Config& c) { return c.server.token_key_file == "/etc/unipay/token.key"; }},
      {"--allow-private-delivery", "UNIPAY_ALLOW_PRIVATE_DELIVERY", "",
       [](const Config& c) { return c.delivery.allow_private; }},
      {"--delivery-backoff-initial-ms", "UNIPAY_DELIVERY_BACKOFF_INITIAL_MS", "2500",
       [](const Config& c) { return c.delivery.backoff_initial_ms == 2500ms; }},
      {"--delivery-backoff-max-ms", "UNIPAY_DELIVERY_BACKOFF_MAX_MS", "7000",
       [](const Config& c) { return c.delivery.backoff_max_ms == 7000ms; }},
      {"--io-threads", "UNIPAY_IO_THREADS", "7", [](const Config& c) { return c.server.io_threads == 7; }},
      {"--admission-max-in-flight", "UNIPAY_ADMISSION_MAX_IN_FLIGHT", "70",
       [](const Config& c) { return c.server.admission_max_in_flight == 70; }},
      {"--callback-suspect-refusals-per-s", "UNIPAY_CALLBACK_SUSPECT_REFUSALS_PER_S", "7",
       [](const Config& c) { return c.callbacks.suspect_refusals_per_s == 7; }},
      {"--actor-threads", "UNIPAY_ACTOR_THREADS", "9",
       [](const Config& c) { return c.server.actor_threads == 9; }},
      {"--node-id", "UNIPAY_NODE_ID", "node-a", [](const Config& c) { return c.server.node_id == "node-a"; }},
      {"--statement-page-rows", "UNIPAY_STATEMENT_PAGE_ROWS", "250",
       [](const Config& c) { return c.server.statement_page_rows == 250; }},
      {"--heartbeat-interval-ms", "UNIPAY_HEARTBEAT_INTERVAL_MS", "2000",
       [](const Config& c) { return c.server.heartbeat_interval_ms == 2000ms; }},
      {"--node-dead-after-ms", "UNIPAY_NODE_DEAD_AFTER_MS", "60000",
       [](const Config& c) { return c.server.node_dead_after_ms == 60000ms; }},
      {"--log-json", "UNIPAY_LOG_JSON", "", [](const Config& c) { return c.server.log_json; }},
      {"--log-level", "UNIPAY_LOG_LEVEL", "warn",
       [](const Config& c) { return c.server.log_level == "warn"; }},
      {"--bill-ttl-s", "UNIPAY_BILL_TTL_S", "120", [](const Config& c) { return c.bills.ttl_s == 120s; }},
      {"--delivery-timeout-ms", "UNIPAY_DELIVERY_TIMEOUT_MS", "2000",
       [](const Config& c) { return c.delivery.timeout_ms == 2000ms; }},
      {"--delivery-lease-ms", "UNIPAY_DELIVERY_LEASE_MS", "45000",
       [](const Config& c) { return c.delivery.lease_ms == 45000ms; }},
      {"--delivery-poll-interval-ms", "UNIPAY_DELIVERY_POLL_INTERVAL_MS", "250",
       [](const Config& c) { return c.delivery.poll_interval_ms == 250ms; }},
      {"--delivery-give-up-after-s", "UNIPAY_DELIVERY_GIVE_UP_AFTER_S", "3600",
       [](const Config& c) { return c.delivery.give_up_after_s == 3600s; }},
      {"--delivery-max-concurrent", "UNIPAY_DELIVERY_MAX_CONCURRENT", "400",
       [](const Config& c) { return c.delivery.max_concurrent == 400; }},
      {"--delivery-max-concurrent-per-app", "UNIPAY_DELIVERY_MAX_CONCURRENT_PER_APP", "40",
       [](const Config& c) { return c.delivery.max_concurrent_per_app == 40; }},
      {"--delivery-breaker-failures", "UNIPAY_DELIVERY_BREAKER_FAILURES", "7",
       [](const Config& c) { return c.delivery.breaker_failures == 7; }},
      {"--delivery-breaker-cooldown-ms", "UNIPAY_DELIVERY_BREAKER_COOLDOWN_MS", "1500",
       [](const Config& c) { return c.delivery.breaker_cooldown_ms == 1500ms; }},
      {"--expiry-sweep-interval-ms", "UNIPAY_EXPIRY_SWEEP_INTERVAL_MS", "750",
       [](const Config& c) { return c.bills.expiry_sweep_interval_ms == 750ms; }},
      {"--hold-sweep-interval-ms", "UNIPAY_HOLD_SWEEP_INTERVAL_MS", "333",
       [](const Config& c) { return c.wallets.hold_sweep_interval_ms == 333ms; }},
      {"--embedded-port", "UNIPAY_EMBEDDED_PORT", "25433",
       [](const Config& c) { return c.database.embedded_port == 25433; }},
      {"--public-base-url", "UNIPAY_PUBLIC_BASE_URL", "https://pay.example.com",
       [](const Config& c) { return c.server.public_base_url == "https://pay.example.com"; }},
      {"--channels-query-after-s", "UNIPAY_CHANNELS_QUERY_AFTER_S", "7",
       [](const Config& c) { return c.channels.query_after_s == 7s; }},
      {"--channels-pubsub-dedup-entries", "UNIPAY_CHANNELS_PUBSUB_DEDUP_ENTRIES", "123",
       [](const Config& c) { return c.channels.pubsub_dedup_entries == 123; }},
      {"--channels-pubsub-dedup-ttl-s", "UNIPAY_CHANNELS_PUBSUB_DEDUP_TTL_S", "45",
       [](const Config& c) { return c.channels.pubsub_dedup_ttl_s == 45s; }},
      {"--providers-alipay-url", "UNIPAY_PROVIDERS_ALIPAY_URL", "http://127.0.0.1:9100/gateway.do",
       [](const Config& c) { return c.providers.alipay_url == "http://127.0.0.1:9100/gateway.do"; }},
      {"--providers-wechatpay-url", "UNIPAY_PROVIDERS_WECHATPAY_URL", "http://127.0.0.1:9100",
       [](const Config& c) { return c.providers.wechatpay_url == "http://127.0.0.1:9100"; }},
      {"--providers-apple-production-url", "UNIPAY_PROVIDERS_APPLE_PRODUCTION_URL", "http://127.0.0.1:9101",
       [](const Config& c) { return c.providers.apple_production_url == "http://127.0.0.1:9101"; }},
      {"--providers-apple-sandbox-url", "UNIPAY_PROVIDERS_APPLE_SANDBOX_URL", "http://127.0.0.1:9102",
       [](const Config& c) { return c.providers.apple_sandbox_url == "http://127.0.0.1:9102"; }},
      {"--providers-google-url", "UNIPAY_PROVIDERS_GOOGLE_URL", "http://127.0.0.1:9103",
       [](const Config& c) { return c.providers.google_url == "http://127.0.0.1:9103"; }},
      {"--providers-stripe-url", "UNIPAY_PROVIDERS_STRIPE_URL", "http://127.0.0.1:9104",
       [](const Config& c) { return c.providers.stripe_url == "http://127.0.0.1:9104"; }},
      {"--allow-private-providers", "UNIPAY_ALLOW_PRIVATE_PROVIDERS", "",
       [](const Config& c) { return c.providers.allow_private; }},
  };
}

// Proves: each pinned flag, and separately its environment variable, sets its field.
TEST_F(ConfigTest, EveryPinnedFlagAndEnvironmentVariableSetsItsField) {
  for (const PinnedCase& pin : pinned_cases()) {
    std::vector<std::string> args{pin.flag};
    if (!pin.value.empty()) args.push_back(pin.value);
    const Invocation by_flag = run(args);
    EXPECT_EQ(by_flag.command, Command::serve) << pin.flag << ": " << by_flag.message;
    EXPECT_TRUE(pin.holds(by_flag.config)) << pin.flag;

    set_env(pin.env, pin.value.empty() ? "1" : pin.value);
    const Invocation by_env = run({});
    EXPECT_EQ(by_env.command, Command::serve) << pin.env << ": " << by_env.message;
    EXPECT_TRUE(pin.holds(by_env.config)) << pin.env;
    unsetenv(pin.env.c_str());
  }
}

// Proves: the table of pinned cases above really covers every flag unipayd has.
TEST_F(ConfigTest, PinnedCasesCoverEveryFlag) {
  size_t flags = 0;
  for (const auto& s : detail::settings()) flags += s.flag.empty() ? 0 : 1;
  EXPECT_EQ(pinned_cases().size(), flags);
}

// Proves: an empty database URL from any layer selects the embedded cluster, overriding a
// URL set by a lower layer, and "--database-url=" does not swallow the subcommand.
TEST_F(ConfigTest, EmptyDatabaseUrlMeansEmbedded) {
  const std::string path = write_file("[database]\nurl = \"postgresql://file/db\"\n");
  EXPECT_EQ(run({"--config", path}).config.database.url, "postgresql://file/db");
  set_env("UNIPAY_DATABASE_URL", "");
  EXPECT_EQ(run({"--config", path}).config.database.url, "");
  set_env("UNIPAY_DATABASE_URL", "postgresql://env/db");
  EXPECT_EQ(run({"--config", path, "--database-url", ""}).config.database.url, "");
  const Invocation inv = run({"--database-url=", "migrate"});
  EXPECT_EQ(inv.command, Command::migrate) << inv.message;
  EXPECT_EQ(inv.config.database.url, "");
}

// Proves: environment booleans take 1/true/yes and 0/false/no in any case, and refuse others.
TEST_F(ConfigTest, EnvironmentBooleanSpellings) {
  const std::string path = write_file("[delivery]\nallow_private = true\n");
  for (const char* yes : {"1", "true", "yes", "TRUE", "Yes"}) {
    set_env("UNIPAY_LOG_JSON", yes);
    EXPECT_TRUE(run({}).config.server.log_json) << yes;
  }
  for (const char* no : {"0", "false", "no", "NO"}) {
    set_env("UNIPAY_ALLOW_PRIVATE_DELIVERY", no);
    EXPECT_FALSE(run({"--config", path}).config.delivery.allow_private) << no;
  }
  set_env("UNIPAY_ALLOW_PRIVATE_DELIVERY", "maybe");
  const Invocation inv = run({});
  EXPECT_EQ(inv.exit_code, 2);
  EXPECT_TRUE(contains(inv.message, "UNIPAY_ALLOW_PRIVATE_DELIVERY")) << inv.message;
}

// Proves: an empty numeric variable counts as unset, while a malformed one is an error.
TEST_F(ConfigTest, EnvironmentNumbers) {
  set_env("UNIPAY_IO_THREADS", "");
  EXPECT_EQ(run({}).config.server.io_threads, 1);
  set_env("UNIPAY_IO_THREADS", "3x");
  const Invocation inv = run({});
  EXPECT_EQ(inv.exit_code, 2);
  EXPECT_TRUE(contains(inv.message, "config error: UNIPAY_IO_THREADS: expected an integer")) << inv.message;
}

// Proves: problems from the environment, flags and validation are all listed at once,
// one per line, each prefixed, with exit code 2.
TEST_F(ConfigTest, EveryErrorIsListedTogether) {
  set_env("UNIPAY_EMBEDDED_PORT", "70000");
  const Invocation inv = run({"--io-threads", "0", "--log-level", "loud", "--listen", "::1:80",
                              "--delivery-backoff-initial-ms", "700000", "--bill-ttl-s", "abc"});
  EXPECT_EQ(inv.command, Command::exit_now);
  EXPECT_EQ(inv.exit_code, 2);
  for (const char* part : {"server.io_threads", "server.log_level", "--listen", "[::1]:8080",
                           "delivery.backoff_initial_ms", "--bill-ttl-s", "database.embedded_port"}) {
    EXPECT_TRUE(contains(inv.message, part)) << part << " missing from:\n" << inv.message;
  }
  size_t lines = 0;
  size_t start = 0;
  for (size_t nl; (nl = inv.message.find('\n', start)) != std::string::npos; start = nl + 1) {
    EXPECT_EQ(inv.message.compare(start, 14, "config error: "), 0) << inv.message;
    ++lines;
  }
  EXPECT_EQ(lines, 6u) << inv.message;
}

// Proves: problems in the --config file are reported under the file's name.
TEST_F(ConfigTest, FileProblemsNameTheFile) {
  const std::string path = write_file("[server]\nfoo = 1\n");
  const Invocation inv = run({"--config", path});
  EXPECT_EQ(inv.exit_code, 2);
  EXPECT_TRUE(contains(inv.message, "config error: " + path + ": unknown key server.foo")) << inv.message;
  const Invocation missing = run({"--config", path + ".absent"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(contains(missing.message, "cannot read")) << missing.message;
}

// Proves: --help (also after a subcommand) exits 0 with text naming every subcommand, every
// flag and its environment variable.
TEST_F(ConfigTest, HelpListsSubcommandsFlagsAndEnvironment) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"-h"}, {"app", "create", "--help"}, {"migrate", "--help"}}) {
    const Invocation inv = run(args);
    EXPECT_EQ(inv.command, Command::exit_now);
    EXPECT_EQ(inv.exit_code, 0);
    EXPECT_EQ(inv.message, help_text());
  }
  const std::string help = help_text();
  for (const char* part : {"serve", "migrate", "app create", "--name", "--delivery-url", "--sandbox-secret",
                           "--config", "UNIPAY_CONFIG"}) {
    EXPECT_TRUE(contains(help, part)) << part;
  }
  for (const auto& s : detail::settings()) {
    if (s.flag.empty()) continue;
    EXPECT_TRUE(contains(help, std::string(s.flag))) << s.flag;
    EXPECT_TRUE(contains(help, fmt::format("[{}]", s.env))) << s.env;
  }
}

// Proves: the subcommands map to commands, and app create carries its arguments.
TEST_F(ConfigTest, Subcommands) {
  EXPECT_EQ(run({"serve"}).command, Command::serve);
  EXPECT_EQ(run({"migrate"}).command, Command::migrate);
  const Invocation inv = run({"app", "create", "--name", "Game One", "--delivery-url",
                              "https://game.example/deliver", "--sandbox-secret", "abc"});
  ASSERT_EQ(inv.command, Command::app_create) << inv.message;
  EXPECT_EQ(inv.app_create.name, "Game One");
  EXPECT_EQ(inv.app_create.delivery_url, "https://game.example/deliver");
  EXPECT_EQ(inv.app_create.sandbox_secret, "abc");
  const Invocation generated = run({"app", "create", "--name", "g", "--delivery-url", "http://x"});
  ASSERT_EQ(generated.command, Command::app_create) << generated.message;
  EXPECT_EQ(generated.app_create.sandbox_secret, "");
  const Invocation every_app = run({"reconcile"});
  ASSERT_EQ(every_app.command, Command::reconcile) << every_app.message;
  EXPECT_EQ(every_app.reconcile.app_id, "");
  const Invocation one_app = run({"reconcile", "--app", "app_1", "--data-dir", "d"});
  ASSERT_EQ(one_app.command, Command::reconcile) << one_app.message;
  EXPECT_EQ(one_app.reconcile.app_id, "app_1");
  EXPECT_EQ(one_app.config.database.data_dir, "d");
}

// Proves: `reconcile --app ""` names no app: a usage error, not "every app".
TEST_F(ConfigTest, ReconcileEmptyAppIsAUsageError) {
  const Invocation inv = run({"reconcile", "--app", ""});
  EXPECT_EQ(inv.command, Command::exit_now);
  EXPECT_EQ(inv.exit_code, 2);
  EXPECT_TRUE(contains(inv.message, "--app must not be empty")) << inv.message;
}

// Proves: misuse is a usage error (exit 2): app create without its required flags, a bare
// "app", an unknown subcommand or flag, and an empty --name.
TEST_F(ConfigTest, UsageErrors) {
  const Invocation no_url = run({"app", "create", "--name", "n"});
  EXPECT_EQ(no_url.exit_code, 2);
  EXPECT_TRUE(contains(no_url.message, "--delivery-url")) << no_url.message;
  EXPECT_TRUE(contains(run({"app", "create", "--delivery-url", "u"}).message, "--name"));
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"app"}, {"frobnicate"}, {"--no-such-flag"}, {"serve", "extra"}}) {
    const Invocation inv = run(args);
    EXPECT_EQ(inv.command, Command::exit_now) << args[0];
    EXPECT_EQ(inv.exit_code, 2) << args[0];
    EXPECT_TRUE(contains(inv.message, "usage error: ")) << inv.message;
  }
  const Invocation empty_name = run({"app", "create", "--name", "", "--delivery-url", "u"});
  EXPECT_EQ(empty_name.exit_code, 2);
  EXPECT_TRUE(contains(empty_name.message, "--name must not be empty")) << empty_name.message;
}

// Proves: global flags work before and after the subcommand, at any depth.
TEST_F(ConfigTest, GlobalFlagsBeforeOrAfterSubcommand) {
  EXPECT_EQ(run({"--data-dir", "x", "serve"}).config.database.data_dir, "x");
  EXPECT_EQ(run({"serve", "--data-dir", "y"}).config.database.data_dir, "y");
  const Invocation migrate = run({"migrate", "--log-json", "--listen", "[::1]:9090"});
  ASSERT_EQ(migrate.command, Command::migrate) << migrate.message;
  EXPECT_TRUE(migrate.config.server.log_json);
  EXPECT_EQ(migrate.config.server.listen_host, "::1");
  EXPECT_EQ(migrate.config.server.listen_port, 9090);
  const Invocation create = run({"--io-threads", "2", "app", "create", "--name", "n", "--delivery-url", "u",
                                 "--data-dir=z", "--allow-private-delivery"});
  ASSERT_EQ(create.command, Command::app_create) << create.message;
  EXPECT_EQ(create.config.server.io_threads, 2);
  EXPECT_EQ(create.config.database.data_dir, "z");
  EXPECT_TRUE(create.config.delivery.allow_private);
}

// Proves: a repeated flag takes its last value, and a boolean flag can be turned off.
TEST_F(ConfigTest, RepeatedAndNegatedFlags) {
  EXPECT_EQ(run({"--io-threads", "3", "serve", "--io-threads", "5"}).config.server.io_threads, 5);
  set_env("UNIPAY_LOG_JSON", "1");
  EXPECT_FALSE(run({"--log-json=false"}).config.server.log_json);
}

}  // namespace
}  // namespace unipay::config::test
