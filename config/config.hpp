// unipayd's configuration: defaults < TOML file (--config) < environment < command-line
// flags. Validated as a whole at start: every problem is listed, then unipayd exits non-zero.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/result.hpp"

namespace unipay::config {

struct ServerConfig {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  // The externally reachable http(s) base URL of this unipay (no trailing '/'): notify URLs
  // registered with providers at prepare are <public_base_url>/v1/callbacks/{app_id}/{channel}.
  // Empty: channels that need one at prepare (wechatpay) are refused at bill creation.
  std::string public_base_url;
  int io_threads = 1;     // asio threads serving HTTP
  int actor_threads = 2;  // CAF scheduler.max-threads
  size_t max_body_bytes = 65536;
  size_t max_header_bytes = 8192;
  size_t max_json_depth = 32;
  size_t max_connections = 100000;
  std::chrono::milliseconds read_timeout_ms{10000};
  std::chrono::seconds longpoll_max_s{60};
  std::chrono::seconds longpoll_default_s{30};
  size_t max_waiters_per_bill = 64;
  // A long poll's deadline and a bill actor's idle check are delivered on a grid of this step
  // by one timer actor (actors/coarse_timer.hpp), at most one step late, instead of one CAF
  // clock entry each, which wakes the clock thread every time; 0: each on its own entry.
  std::chrono::milliseconds timer_tick_ms{20};
  size_t timer_max_pending = 500000;  // deadlines that timer holds; beyond it, own entries again
  // Admission control (storage/delay_gate.hpp): new work (bill creation, lists) is refused
  // with 503 busy + Retry-After once the database queues' delay has stayed above the target
  // for an interval. Callbacks and deliveries are never refused by it.
  std::chrono::milliseconds admission_target_delay_ms{100};
  std::chrono::milliseconds admission_interval_ms{500};
  // ...and at once while admission_max_in_flight-bounded work in flight is at its adaptive
  // limit, which shrinks while admitted work answers slower than admission_latency_target_ms
  // (net/concurrency_limit.hpp).
  std::chrono::milliseconds admission_latency_target_ms{300};
  int64_t admission_max_in_flight = 2000;
  // Freed heap memory goes back to the system this often (malloc_trim); 0: never.
  std::chrono::milliseconds memory_trim_interval_ms{10000};
  size_t statement_page_rows = 1000;  // rows read (and held) at a time while a statement streams
  std::string admin_token;            // empty: admin API disabled (every admin call 401)
  std::string token_key_file;         // empty: <database.data_dir>/token.key (net/token_key_file.hpp)
  std::string node_id;                // this node's name; each process adds an incarnation (node_store.hpp)
  std::chrono::milliseconds heartbeat_interval_ms{5000};  // how often the node's heartbeat is written
  std::chrono::milliseconds node_dead_after_ms{30000};    // a heartbeat this old: the incarnation is dead
  bool log_json = false;
  std::string log_level = "info";
};

struct DatabaseConfig {
  std::string url;  // empty: embedded PostgreSQL under data_dir/pg
  std::string data_dir = "./var";
  int embedded_port = 5432;
  int embedded_wal_reserve_mb = 512;  // WAL segments kept ready (min_wal_size), created with the cluster
  int reader_connections = 4;
  size_t write_queue_limit_ops = 100000;
  size_t write_queue_reserved_ops = 20000;  // of those, room only accepted work may use
  size_t read_queue_limit_ops = 100000;
  size_t max_batch_ops = 512;
  // New work (a bill's creation) is refused at once while a queued write has waited longer
  // than admit; a queued creation that has waited max is refused instead of committed.
  std::chrono::milliseconds new_work_admit_wait_ms{200};
  std::chrono::milliseconds new_work_max_wait_ms{500};
  std::chrono::milliseconds housekeeping_statement_timeout_ms{5000};  // each purge chunk / expiry claim
};

// What a nonce must be remembered beyond twice the timestamp window: timestamps are
// whole seconds and judged by the node's clock, while a nonce's age is measured by the
// database's clock, so the two may disagree by the nodes' clock skew and a second.
inline constexpr std::chrono::seconds kNonceSkewMarginS{60};

struct BillsConfig {
  std::chrono::seconds ttl_s{1800};  // a created bill closes after this
  std::chrono::milliseconds expiry_sweep_interval_ms{5000};
  size_t expiry_batch = 500;                            // bills claimed (and expired) at a time
  size_t max_expiries_per_sweep = 50000;                // a sweep stops there; the next goes on
  std::chrono::milliseconds purge_interval_ms{300000};  // nonce / idempotency-key purge runs
  size_t purge_chunk_rows = 5000;                       // rows deleted per statement
  std::chrono::milliseconds purge_pause_ms{20};         // between chunks: other work goes first
  size_t max_purge_chunks = 2000;                       // per run and table; the next run goes on
  size_t max_live_bill_actors = 200000;
  std::chrono::milliseconds actor_idle_ms{60000};         // idle bill actors are reaped after this
  std::chrono::milliseconds settled_actor_idle_ms{5000};  // ...and settled ones with no waiter after this
  size_t max_pending_events_per_bill = 64;
  std::chrono::seconds idempotency_keep_s{86400};
  std::chrono::seconds idempotency_wait_s{10};
  std::chrono::seconds signature_window_s{300};
  // ≥ 2 × signature_window_s + kNonceSkewMarginS (validated): a request is replayable
  // while its timestamp is in the window, which spans twice the window.
  std::chrono::seconds nonce_window_s{660};
  size_t max_passinfo_bytes = 1024;
  size_t max_extra_bytes = 4096;
  // After the LISTEN connection was lost: live bills' versions are read in batches, paced,
  // and only bills whose version moved re-read their row (actors/refresh_sweep.hpp).
  size_t refresh_batch_bills = 1000;
  size_t refresh_batches_per_s = 50;  // 0: no pause between batches
  size_t refresh_retries = 5;         // reads of a failing batch before its bills re-read one by one
};

struct DeliveryConfig {
  std::chrono::milliseconds backoff_initial_ms{1000};
  std::chrono::milliseconds backoff_max_ms{600000};
  std::chrono::seconds give_up_after_s{72 * 3600};  // then the job is dead-lettered
  std::chrono::milliseconds lease_ms{30000};
  std::chrono::milliseconds timeout_ms{10000};          // one delivery HTTP call
  std::chrono::milliseconds poll_interval_ms{1000};     // how often due jobs are claimed
  size_t max_concurrent = 2000;                         // delivery attempts in flight at once
  size_t max_concurrent_per_app = 250;                  // of which for one app
  size_t breaker_failures = 20;                         // consecutive failures that pause an app; 0: never
  std::chrono::milliseconds breaker_cooldown_ms{5000};  // an app's pause before one probe attempt
  size_t claim_batch = 100;
  size_t keepalive_max_idle = 256;  // idle game server connections kept, all game servers; 0: none
  std::chrono::milliseconds keepalive_idle_ms{10000};  // an idle connection older than this is not reused
  bool allow_private = false;                          // delivery URLs may be loopback/private addresses
};

// Payment providers' API base URLs (DESIGN.md §4: tests and the bench point them at the
// simulators) and the limits of outbound provider calls (net/provider_client.hpp). Each
// call has delivery.timeout_ms as its deadline.
struct ProvidersConfig {
  static constexpr std::string_view kAlipayUrl = "https://openapi.alipay.com/gateway.do";
  static constexpr std::string_view kWechatpayUrl = "https://api.mch.weixin.qq.com";
  static constexpr std::string_view kAppleProductionUrl = "https://api.storekit.itunes.apple.com";
  static constexpr std::string_view kAppleSandboxUrl = "https://api.storekit-sandbox.itunes.apple.com";
  static constexpr std::string_view kGoogleUrl = "https://androidpublisher.googleapis.com";
  static constexpr std::string_view kStripeUrl = "https://api.stripe.com";
  std::string alipay_url{kAlipayUrl};
  std::string wechatpay_url{kWechatpayUrl};
  std::string apple_production_url{kAppleProductionUrl};
  std::string apple_sandbox_url{kAppleSandboxUrl};
  std::string google_url{kGoogleUrl};
  std::string stripe_url{kStripeUrl};
  bool allow_private = false;          // provider URLs may be loopback/private (simulators)
  size_t max_concurrent_calls = 256;   // provider operations in flight; more are refused (busy)
  size_t max_calls_per_operation = 4;  // HTTP calls one operation may chain (token, then query)
  size_t max_response_bytes = 262144;  // a longer provider answer is refused
  size_t max_idle_connections = 32;    // kept-alive connections to providers, for reuse
  std::chrono::milliseconds idle_connection_ms{30000};  // an idle kept-alive connection is dropped after this
};

// The janitor (docs/CHANNELS.md "Lost notifications"): verify jobs re-query the provider
// about bills of channels with a query API (actors/verify_rules.hpp).
struct ChannelsConfig {
  std::chrono::seconds query_after_s{60};  // a bill with no callback this long after creation is queried
  int verify_max_attempts = 20;            // queries of one bill (pending and unreachable); then dead letter
  size_t verify_max_concurrent = 64;       // verify queries in flight on this node
  // Google Pub/Sub pushes answered 204 are remembered by messageId, so a redelivery is
  // acknowledged without another Play Developer API call (net/handlers/delivery_memory.hpp).
  // Per io thread; when full the memory is emptied (repeats then cost an API call again).
  size_t pubsub_dedup_entries = 10000;
  std::chrono::seconds pubsub_dedup_ttl_s{600};  // Pub/Sub's longest acknowledgement deadline
};

// Callbacks refused before their signature verified: their audit rows are rate-limited
// and written in batches (actors/callback_audits.hpp).
struct CallbacksConfig {
  int64_t refused_audits_per_source_per_s = 10;
  int64_t refused_audits_per_app_per_s = 10;
  int64_t refused_audit_burst = 20;
  size_t refused_audit_queue_limit = 1000;
  std::chrono::milliseconds refused_audit_flush_ms{250};
  size_t refused_audit_max_sources = 10000;
  int64_t app_reads_per_source_per_s = 50;  // reads of uncached apps per address (io thread)
  // A source with more refused callbacks than this in a second and none verified within
  // suspect_trust_ms has its callbacks answered 429 unread for suspect_shut_out_ms
  // (net/suspect_sources.hpp).
  int64_t suspect_refusals_per_s = 50;
  std::chrono::milliseconds suspect_shut_out_ms{10000};
  std::chrono::milliseconds suspect_trust_ms{60000};
};

// Wallets (docs/WALLETS.md): one actor per live account.
struct WalletsConfig {
  size_t max_live_accounts = 100000;               // wallet actors alive at once
  size_t max_pending_ops_per_account = 1024;       // operations queued per account; then busy
  size_t max_batch_ops = 256;                      // operations of one account decided and committed together
  size_t max_active_holds = 1000;                  // per account; one more hold is refused with busy
  std::chrono::milliseconds actor_idle_ms{30000};  // an idle wallet actor is stopped after this
  std::chrono::milliseconds hold_sweep_interval_ms{1000};  // how often due holds are looked for
  size_t hold_sweep_batch = 500;                           // due holds handed on per sweep
};

struct Config {
  ServerConfig server;
  DatabaseConfig database;
  BillsConfig bills;
  DeliveryConfig delivery;
  ProvidersConfig providers;
  ChannelsConfig channels;
  CallbacksConfig callbacks;
  WalletsConfig wallets;
};

// What the command line asked for.
struct AppCreateArgs {
  std::string name;
  std::string delivery_url;
  std::string sandbox_secret;  // empty: generated (when the app gets a sandbox channel)
  // The app's `channels` object as in the admin API (JSON text; "@path" reads a file).
  // Empty: a sandbox channel only. Given: those channels, plus sandbox when --sandbox-secret is.
  std::string channels_json;
};

// `unipayd reconcile [--app ID]`.
struct ReconcileArgs {
  std::string app_id;  // empty: every app
};

enum class Command { serve, migrate, app_create, reconcile, exit_now };

struct Invocation {
  Command command = Command::serve;
  Config config;
  AppCreateArgs app_create;
  ReconcileArgs reconcile;
  int exit_code = 0;    // for exit_now (--help: 0; a usage or config error: 2)
  std::string message;  // for exit_now: help text or the errors, to print
};

// Parses argv, the environment (UNIPAY_*) and the TOML file named by --config, then
// validates. Never exits and never prints: errors come back in Invocation.message.
Invocation parse_invocation(int argc, const char* const* argv);

// Validates a whole config; returns every problem found (empty = valid).
std::vector<std::string> validate(const Config& config);

// Applies one TOML document over `config`; returns every problem found.
std::vector<std::string> apply_toml(const std::string& toml_text, Config& config);

// A listen address. IPv6 hosts are kept without brackets ("::1"), ready for
// asio::ip::make_address; the text form brackets them ("[::1]:8080").
struct HostPort {
  std::string host;
  uint16_t port = 0;
};

// Parses "HOST:PORT" (IPv4, hostname or bracketed IPv6; port 1..65535).
// Errors are Errc::invalid_parameter with a message fit for a person.
Result<HostPort> parse_host_port(std::string_view text);

// The inverse of parse_host_port: "127.0.0.1:8080", "[::1]:8080".
std::string format_host_port(std::string_view host, uint16_t port);

// "node-" + the machine's hostname: the node_id used when none is configured.
std::string default_node_id();

// The text `unipayd --help` prints: subcommands, and every flag with its environment
// variable and default.
std::string help_text();

}  // namespace unipay::config
