#include "config/settings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <limits>
#include <type_traits>
#include <utility>

namespace unipay::config::detail {
namespace {

std::string_view type_name(const Value& value) {
  if (std::holds_alternative<bool>(value)) return "a boolean";
  if (std::holds_alternative<int64_t>(value)) return "an integer";
  return "a string";
}

std::optional<std::string> assign(std::string& field, const Value& value) {
  const auto* text = std::get_if<std::string>(&value);
  if (text == nullptr) return fmt::format("expected a string, got {}", type_name(value));
  field = *text;
  return std::nullopt;
}

std::optional<std::string> assign(bool& field, const Value& value) {
  const auto* flag = std::get_if<bool>(&value);
  if (flag == nullptr) return fmt::format("expected a boolean, got {}", type_name(value));
  field = *flag;
  return std::nullopt;
}

// Integers are range-checked here only so that nothing wraps on the way into the field;
// whether the number makes sense is validate()'s job, so it can list every problem.
template <class T>
requires std::is_integral_v<T> std::optional<std::string> assign(T& field, const Value& value) {
  const auto* number = std::get_if<int64_t>(&value);
  if (number == nullptr) return fmt::format("expected an integer, got {}", type_name(value));
  if (!std::in_range<T>(*number)) return fmt::format("{} is out of range", *number);
  field = static_cast<T>(*number);
  return std::nullopt;
}

template <class Rep, class Period>
std::optional<std::string> assign(std::chrono::duration<Rep, Period>& field, const Value& value) {
  const auto* number = std::get_if<int64_t>(&value);
  if (number == nullptr) return fmt::format("expected an integer, got {}", type_name(value));
  if (!std::in_range<Rep>(*number)) return fmt::format("{} is out of range", *number);
  field = std::chrono::duration<Rep, Period>{static_cast<Rep>(*number)};
  return std::nullopt;
}

std::string show(const std::string& text) { return text.empty() ? "(empty)" : text; }
std::string show(bool flag) { return flag ? "true" : "false"; }
template <class T>
requires std::is_integral_v<T> std::string show(T number) { return std::to_string(number); }
template <class Rep, class Period>
std::string show(std::chrono::duration<Rep, Period> span) {
  return std::to_string(span.count());
}

template <class T>
constexpr Kind kind_of() {
  if constexpr (std::is_same_v<T, std::string>) return Kind::text;
  if constexpr (std::is_same_v<T, bool>) return Kind::boolean;
  return Kind::integer;
}

struct Key {
  std::string_view section;
  std::string_view key;
};

// `get` maps a Config (const or not) to the field, so one lambda serves set and show.
template <class Get>
Setting make(Key key, Get get, std::string_view flag, std::string_view env, std::string_view value_name,
             std::string_view help) {
  using T = std::remove_cvref_t<decltype(get(std::declval<Config&>()))>;
  Setting s{key.section, key.key, flag, env, value_name, help, kind_of<T>(), {}, {}};
  s.set = [get](Config& config, const Value& value) { return assign(get(config), value); };
  s.show = [get](const Config& config) { return show(get(config)); };
  return s;
}

// The TOML key is the field's own name, spelled once, so the two cannot differ.
#define UNIPAY_FIELD(sec, name) \
  Key{#sec, #name}, [](auto& c) -> auto& { return c.sec.name; }

// server.listen is the one setting that fills two fields.
Setting listen_setting() {
  Setting s{"server",        "listen",    "--listen",
            "UNIPAY_LISTEN", "HOST:PORT", "address to serve HTTP on; IPv6 in brackets ([::1]:8080)",
            Kind::text,      {},          {}};
  s.set = [](Config& config, const Value& value) -> std::optional<std::string> {
    const auto* text = std::get_if<std::string>(&value);
    if (text == nullptr) return fmt::format("expected a string, got {}", type_name(value));
    auto parsed = parse_host_port(*text);
    if (!parsed) return parsed.error().message;
    config.server.listen_host = parsed->host;
    config.server.listen_port = parsed->port;
    return std::nullopt;
  };
  s.show = [](const Config& config) {
    return format_host_port(config.server.listen_host, config.server.listen_port);
  };
  return s;
}

std::vector<Setting> server_settings() {
  return {
      listen_setting(),
      make(UNIPAY_FIELD(server, public_base_url), "--public-base-url", "UNIPAY_PUBLIC_BASE_URL", "URL",
           "this unipay's external http(s) base URL, for providers' notify URLs; empty: none"),
      make(UNIPAY_FIELD(server, io_threads), "--io-threads", "UNIPAY_IO_THREADS", "N",
           "asio threads serving HTTP (1..256)"),
      make(UNIPAY_FIELD(server, actor_threads), "--actor-threads", "UNIPAY_ACTOR_THREADS", "N",
           "CAF scheduler threads (1..256)"),
      make(UNIPAY_FIELD(server, max_body_bytes), "", "", "", "largest request body, bytes"),
      make(UNIPAY_FIELD(server, max_header_bytes), "", "", "", "largest request header, bytes"),
      make(UNIPAY_FIELD(server, max_json_depth), "", "", "", "deepest JSON nesting accepted"),
      make(UNIPAY_FIELD(server, max_connections), "", "", "", "open HTTP connections at once"),
      make(UNIPAY_FIELD(server, read_timeout_ms), "", "", "", "deadline to read one request, milliseconds"),
      make(UNIPAY_FIELD(server, longpoll_max_s), "", "", "",
           "longest long-poll a client may ask for, seconds"),
      make(UNIPAY_FIELD(server, longpoll_default_s), "", "", "",
           "long-poll wait when the client names none, seconds"),
      make(UNIPAY_FIELD(server, max_waiters_per_bill), "", "", "", "long-poll waiters held per bill"),
      make(UNIPAY_FIELD(server, timer_tick_ms), "", "", "",
           "step of the grid long-poll deadlines and idle checks fire on, milliseconds; 0: exact"),
      make(UNIPAY_FIELD(server, timer_max_pending), "", "", "",
           "deadlines held on that grid; beyond it each gets its own clock entry"),
      make(UNIPAY_FIELD(server, statement_page_rows), "--statement-page-rows", "UNIPAY_STATEMENT_PAGE_ROWS",
           "N", "rows a streaming statement reads and holds at a time (1..10000)"),
      make(UNIPAY_FIELD(server, admission_target_delay_ms), "", "", "",
           "new work is refused (503 busy) once database queue delay stays above this, milliseconds"),
      make(UNIPAY_FIELD(server, admission_interval_ms), "", "", "",
           "...for this long without a shorter wait, milliseconds"),
      make(UNIPAY_FIELD(server, admission_latency_target_ms), "", "", "",
           "new work answered slower than this shrinks the limit of new work in flight, milliseconds"),
      make(UNIPAY_FIELD(server, admission_max_in_flight), "--admission-max-in-flight",
           "UNIPAY_ADMISSION_MAX_IN_FLIGHT", "N", "new work (creates, lists) in flight at most (8..1000000)"),
      make(UNIPAY_FIELD(server, memory_trim_interval_ms), "", "", "",
           "freed memory is returned to the system this often, milliseconds (0: never)"),
      make(UNIPAY_FIELD(server, admin_token), "--admin-token", "UNIPAY_ADMIN_TOKEN", "T",
           "bearer token of the admin API; empty disables it"),
      make(UNIPAY_FIELD(server, token_key_file), "--token-key-file", "UNIPAY_TOKEN_KEY_FILE", "FILE",
           "key sealing client tokens in stored idempotent answers; empty: data_dir/token.key"),
      make(UNIPAY_FIELD(server, node_id), "--node-id", "UNIPAY_NODE_ID", "ID",
           "this node's name; each process owns its job leases as ID/<incarnation>; empty: node-<hostname>"),
      make(UNIPAY_FIELD(server, heartbeat_interval_ms), "--heartbeat-interval-ms",
           "UNIPAY_HEARTBEAT_INTERVAL_MS", "MS",
           "how often this process writes its node heartbeat, milliseconds"),
      make(UNIPAY_FIELD(server, node_dead_after_ms), "--node-dead-after-ms", "UNIPAY_NODE_DEAD_AFTER_MS",
           "MS",
           "a process whose heartbeat is this old counts as dead: its job leases are taken over, "
           "milliseconds"),
      make(UNIPAY_FIELD(server, log_json), "--log-json", "UNIPAY_LOG_JSON", "",
           "log one JSON object per line"),
      make(UNIPAY_FIELD(server, log_level), "--log-level", "UNIPAY_LOG_LEVEL", "LEVEL",
           "trace, debug, info, warn or error"),
  };
}

std::vector<Setting> database_settings() {
  return {
      make(UNIPAY_FIELD(database, url), "--database-url", "UNIPAY_DATABASE_URL", "URL",
           "PostgreSQL connection string; empty: embedded cluster under data_dir/pg"),
      make(UNIPAY_FIELD(database, data_dir), "--data-dir", "UNIPAY_DATA_DIR", "DIR",
           "directory for the server's own files"),
      make(UNIPAY_FIELD(database, embedded_port), "--embedded-port", "UNIPAY_EMBEDDED_PORT", "PORT",
           "port naming the embedded cluster's Unix socket"),
      make(UNIPAY_FIELD(database, embedded_wal_reserve_mb), "", "", "",
           "WAL the embedded cluster keeps ready for reuse and creates when it is new, MB (0: PostgreSQL's "
           "default)"),
      make(UNIPAY_FIELD(database, reader_connections), "", "", "", "database connections for reads"),
      make(UNIPAY_FIELD(database, write_queue_limit_ops), "", "", "",
           "writes queued before callers get busy, operations"),
      make(UNIPAY_FIELD(database, write_queue_reserved_ops), "", "", "",
           "of the write queue, room kept for callbacks, transitions and deliveries, operations"),
      make(UNIPAY_FIELD(database, read_queue_limit_ops), "", "", "",
           "reads queued before callers get busy, operations"),
      make(UNIPAY_FIELD(database, max_batch_ops), "", "", "",
           "writes grouped into one transaction, operations"),
      make(UNIPAY_FIELD(database, new_work_admit_wait_ms), "", "", "",
           "new bills are refused (503 busy) while a queued write has waited longer than this, milliseconds "
           "(0: off)"),
      make(UNIPAY_FIELD(database, new_work_max_wait_ms), "", "", "",
           "a queued bill creation that has waited this long is refused (503 busy) instead of committed, "
           "milliseconds (0: off)"),
      make(UNIPAY_FIELD(database, housekeeping_statement_timeout_ms), "", "", "",
           "statement_timeout of each purge chunk and expiry claim, milliseconds"),
  };
}

std::vector<Setting> bills_settings() {
  return {
      make(UNIPAY_FIELD(bills, ttl_s), "--bill-ttl-s", "UNIPAY_BILL_TTL_S", "S",
           "an unpaid bill closes after this, seconds"),
      make(UNIPAY_FIELD(bills, expiry_sweep_interval_ms), "--expiry-sweep-interval-ms",
           "UNIPAY_EXPIRY_SWEEP_INTERVAL_MS", "MS", "how often expired bills are looked for, milliseconds"),
      make(UNIPAY_FIELD(bills, expiry_batch), "", "", "", "expired bills claimed and closed at a time"),
      make(UNIPAY_FIELD(bills, max_expiries_per_sweep), "", "", "",
           "expired bills closed per sweep at most; the next sweep goes on"),
      make(UNIPAY_FIELD(bills, purge_interval_ms), "", "", "",
           "how often old nonces and idempotency keys are purged, milliseconds"),
      make(UNIPAY_FIELD(bills, purge_chunk_rows), "", "", "", "rows deleted per purge statement"),
      make(UNIPAY_FIELD(bills, purge_pause_ms), "", "", "", "pause between purge chunks, milliseconds"),
      make(UNIPAY_FIELD(bills, max_purge_chunks), "", "", "",
           "purge chunks per run and table at most; the next run goes on"),
      make(UNIPAY_FIELD(bills, max_live_bill_actors), "", "", "", "bill actors alive at once"),
      make(UNIPAY_FIELD(bills, actor_idle_ms), "", "", "",
           "an idle bill actor is stopped after this, milliseconds"),
      make(UNIPAY_FIELD(bills, settled_actor_idle_ms), "", "", "",
           "an idle actor of a settled bill with no waiter is stopped after this, milliseconds"),
      make(UNIPAY_FIELD(bills, max_pending_events_per_bill), "", "", "",
           "events queued per bill while it commits"),
      make(UNIPAY_FIELD(bills, idempotency_keep_s), "", "", "",
           "idempotency keys are remembered this long, seconds"),
      make(UNIPAY_FIELD(bills, idempotency_wait_s), "", "", "",
           "a retry waits this long for the first request's answer, seconds"),
      make(UNIPAY_FIELD(bills, signature_window_s), "", "", "",
           "accepted request timestamp skew, either way, seconds"),
      make(UNIPAY_FIELD(bills, nonce_window_s), "", "", "",
           "a nonce is refused again within this, seconds (>= 2 x signature_window_s + 60)"),
      make(UNIPAY_FIELD(bills, max_passinfo_bytes), "", "", "", "largest passinfo, bytes"),
      make(UNIPAY_FIELD(bills, max_extra_bytes), "", "", "", "largest extra object, bytes"),
      make(UNIPAY_FIELD(bills, refresh_batch_bills), "", "", "",
           "after a LISTEN loss, live bills whose versions one query checks, bills"),
      make(UNIPAY_FIELD(bills, refresh_batches_per_s), "", "", "",
           "after a LISTEN loss, version checks per second at most (0: back to back)"),
      make(UNIPAY_FIELD(bills, refresh_retries), "", "", "",
           "after a LISTEN loss, reads of a failing check before its bills re-read one by one"),
  };
}

std::vector<Setting> delivery_settings() {
  return {
      make(UNIPAY_FIELD(delivery, backoff_initial_ms), "--delivery-backoff-initial-ms",
           "UNIPAY_DELIVERY_BACKOFF_INITIAL_MS", "MS", "first retry delay cap, milliseconds"),
      make(UNIPAY_FIELD(delivery, backoff_max_ms), "--delivery-backoff-max-ms",
           "UNIPAY_DELIVERY_BACKOFF_MAX_MS", "MS", "largest retry delay cap, milliseconds"),
      make(UNIPAY_FIELD(delivery, give_up_after_s), "--delivery-give-up-after-s",
           "UNIPAY_DELIVERY_GIVE_UP_AFTER_S", "S",
           "a delivery still failing after this is dead-lettered, seconds (72 h)"),
      make(UNIPAY_FIELD(delivery, lease_ms), "--delivery-lease-ms", "UNIPAY_DELIVERY_LEASE_MS", "MS",
           "a claimed delivery job is leased this long, milliseconds"),
      make(UNIPAY_FIELD(delivery, timeout_ms), "--delivery-timeout-ms", "UNIPAY_DELIVERY_TIMEOUT_MS", "MS",
           "one delivery HTTP call, milliseconds"),
      make(UNIPAY_FIELD(delivery, poll_interval_ms), "--delivery-poll-interval-ms",
           "UNIPAY_DELIVERY_POLL_INTERVAL_MS", "MS", "how often due jobs are claimed, milliseconds"),
      make(UNIPAY_FIELD(delivery, max_concurrent), "--delivery-max-concurrent",
           "UNIPAY_DELIVERY_MAX_CONCURRENT", "N", "delivery attempts in flight at once, all apps"),
      make(UNIPAY_FIELD(delivery, max_concurrent_per_app), "--delivery-max-concurrent-per-app",
           "UNIPAY_DELIVERY_MAX_CONCURRENT_PER_APP", "N", "delivery attempts in flight at once for one app"),
      make(UNIPAY_FIELD(delivery, breaker_failures), "--delivery-breaker-failures",
           "UNIPAY_DELIVERY_BREAKER_FAILURES", "N",
           "consecutive failed attempts that pause an app's deliveries (0: never)"),
      make(UNIPAY_FIELD(delivery, breaker_cooldown_ms), "--delivery-breaker-cooldown-ms",
           "UNIPAY_DELIVERY_BREAKER_COOLDOWN_MS", "MS",
           "a paused app's wait before one probe attempt, milliseconds"),
      make(UNIPAY_FIELD(delivery, claim_batch), "", "", "", "most jobs claimed at once"),
      make(UNIPAY_FIELD(delivery, keepalive_max_idle), "", "", "",
           "idle game server connections kept open for reuse, all game servers (0: a new connection per "
           "attempt)"),
      make(UNIPAY_FIELD(delivery, keepalive_idle_ms), "", "", "",
           "an idle game server connection is closed after this, milliseconds"),
      make(UNIPAY_FIELD(delivery, allow_private), "--allow-private-delivery", "UNIPAY_ALLOW_PRIVATE_DELIVERY",
           "", "delivery URLs may be loopback, private or link-local addresses"),
  };
}

std::vector<Setting> providers_settings() {
  return {
      make(UNIPAY_FIELD(providers, alipay_url), "--providers-alipay-url", "UNIPAY_PROVIDERS_ALIPAY_URL",
           "URL", "Alipay's gateway (alipay.trade.query, ...)"),
      make(UNIPAY_FIELD(providers, wechatpay_url), "--providers-wechatpay-url",
           "UNIPAY_PROVIDERS_WECHATPAY_URL", "URL", "WeChat Pay API v3 base URL"),
      make(UNIPAY_FIELD(providers, apple_production_url), "--providers-apple-production-url",
           "UNIPAY_PROVIDERS_APPLE_PRODUCTION_URL", "URL", "App Store Server API, production"),
      make(UNIPAY_FIELD(providers, apple_sandbox_url), "--providers-apple-sandbox-url",
           "UNIPAY_PROVIDERS_APPLE_SANDBOX_URL", "URL", "App Store Server API, sandbox"),
      make(UNIPAY_FIELD(providers, google_url), "--providers-google-url", "UNIPAY_PROVIDERS_GOOGLE_URL",
           "URL", "Google Play Developer API"),
      make(UNIPAY_FIELD(providers, stripe_url), "--providers-stripe-url", "UNIPAY_PROVIDERS_STRIPE_URL",
           "URL", "Stripe API"),
      make(UNIPAY_FIELD(providers, allow_private), "--allow-private-providers",
           "UNIPAY_ALLOW_PRIVATE_PROVIDERS", "",
           "provider URLs may be loopback or private addresses (simulators)"),
      make(UNIPAY_FIELD(providers, max_concurrent_calls), "", "", "",
           "provider operations in flight at once"),
      make(UNIPAY_FIELD(providers, max_calls_per_operation), "", "", "",
           "HTTP calls one provider operation may chain"),
      make(UNIPAY_FIELD(providers, max_response_bytes), "", "", "", "largest provider answer, bytes"),
      make(UNIPAY_FIELD(providers, max_idle_connections), "", "", "",
           "idle kept-alive connections to providers, for reuse"),
      make(UNIPAY_FIELD(providers, idle_connection_ms), "", "", "",
           "an idle kept-alive provider connection is closed after this, milliseconds"),
  };
}

std::vector<Setting> channels_settings() {
  return {
      make(UNIPAY_FIELD(channels, query_after_s), "--channels-query-after-s", "UNIPAY_CHANNELS_QUERY_AFTER_S",
           "S", "a bill of a channel with a query API that has no callback this long is queried, seconds"),
      make(UNIPAY_FIELD(channels, verify_max_attempts), "", "", "",
           "provider queries of one bill (unpaid answers and unreachable provider) before it is "
           "dead-lettered"),
      make(UNIPAY_FIELD(channels, verify_max_concurrent), "", "", "",
           "provider queries in flight on this node"),
      make(UNIPAY_FIELD(channels, pubsub_dedup_entries), "--channels-pubsub-dedup-entries",
           "UNIPAY_CHANNELS_PUBSUB_DEDUP_ENTRIES", "N",
           "Pub/Sub messageIds remembered per io thread (repeats answered without an API call)"),
      make(UNIPAY_FIELD(channels, pubsub_dedup_ttl_s), "--channels-pubsub-dedup-ttl-s",
           "UNIPAY_CHANNELS_PUBSUB_DEDUP_TTL_S", "S",
           "how long an answered Pub/Sub messageId is remembered, seconds"),
  };
}

std::vector<Setting> callbacks_settings() {
  return {
      make(UNIPAY_FIELD(callbacks, refused_audits_per_source_per_s), "", "", "",
           "audit rows of unverified callbacks kept per remote address, per second"),
      make(UNIPAY_FIELD(callbacks, refused_audits_per_app_per_s), "", "", "",
           "audit rows of unverified callbacks kept per app id, per second"),
      make(UNIPAY_FIELD(callbacks, refused_audit_burst), "", "", "",
           "audit rows of unverified callbacks kept at once per address or app"),
      make(UNIPAY_FIELD(callbacks, refused_audit_queue_limit), "", "", "",
           "unverified-callback audit rows waiting to be written; beyond: dropped"),
      make(UNIPAY_FIELD(callbacks, refused_audit_flush_ms), "", "", "",
           "unverified-callback audit rows are written together this often, milliseconds"),
      make(UNIPAY_FIELD(callbacks, refused_audit_max_sources), "", "", "",
           "remote addresses (and apps) the audit limiter tracks at once"),
      make(UNIPAY_FIELD(callbacks, app_reads_per_source_per_s), "", "", "",
           "database reads of apps not in the cache per remote address, per second (per io thread)"),
      make(UNIPAY_FIELD(callbacks, suspect_refusals_per_s), "--callback-suspect-refusals-per-s",
           "UNIPAY_CALLBACK_SUSPECT_REFUSALS_PER_S", "N",
           "refused callbacks per remote address per second before its callbacks are refused unread"),
      make(UNIPAY_FIELD(callbacks, suspect_shut_out_ms), "", "", "",
           "how long a source over suspect_refusals_per_s has its callbacks refused unread, milliseconds"),
      make(UNIPAY_FIELD(callbacks, suspect_trust_ms), "", "", "",
           "a verified callback exempts its source from being shut out this long, milliseconds"),
  };
}

std::vector<Setting> wallets_settings() {
  return {
      make(UNIPAY_FIELD(wallets, max_live_accounts), "", "", "", "wallet actors alive at once"),
      make(UNIPAY_FIELD(wallets, max_pending_ops_per_account), "", "", "",
           "operations queued per account before busy"),
      make(UNIPAY_FIELD(wallets, max_batch_ops), "", "", "",
           "operations of one account decided and committed together"),
      make(UNIPAY_FIELD(wallets, max_active_holds), "", "", "", "active holds per account"),
      make(UNIPAY_FIELD(wallets, actor_idle_ms), "", "", "",
           "an idle wallet actor is stopped after this, milliseconds"),
      make(UNIPAY_FIELD(wallets, hold_sweep_interval_ms), "--hold-sweep-interval-ms",
           "UNIPAY_HOLD_SWEEP_INTERVAL_MS", "MS", "how often expired holds are looked for, milliseconds"),
      make(UNIPAY_FIELD(wallets, hold_sweep_batch), "", "", "", "expired holds handed on per sweep"),
  };
}

#undef UNIPAY_FIELD

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

const std::vector<Setting>& settings() {
  static const std::vector<Setting> all = [] {
    std::vector<Setting> out;
    for (auto part : {server_settings(), database_settings(), bills_settings(), delivery_settings(),
                      providers_settings(), channels_settings(), callbacks_settings(), wallets_settings()}) {
      out.insert(out.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    }
    return out;
  }();
  return all;
}

Result<Value> parse_text(Kind kind, std::string_view text) {
  if (kind == Kind::text) return Value{std::string(text)};
  if (kind == Kind::boolean) {
    const std::string lower = lowercase(text);
    if (lower == "1" || lower == "true" || lower == "yes") return Value{true};
    if (lower == "0" || lower == "false" || lower == "no") return Value{false};
    return make_error(Errc::invalid_parameter,
                      fmt::format("expected 1/true/yes or 0/false/no, got \"{}\"", text));
  }
  int64_t number = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, number);
  if (text.empty() || ec != std::errc{} || ptr != end) {
    return make_error(Errc::invalid_parameter, fmt::format("expected an integer, got \"{}\"", text));
  }
  return Value{number};
}

}  // namespace unipay::config::detail
