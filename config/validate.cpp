// validate() and the small value parsers it shares with the readers.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <optional>

#include "config/config.hpp"

namespace unipay::config {
namespace {

bool is_ipv6(std::string_view host) {
  std::array<unsigned char, 16> out{};
  return inet_pton(AF_INET6, std::string(host).c_str(), out.data()) == 1;
}

bool is_ipv4(std::string_view host) {
  std::array<unsigned char, 4> out{};
  return inet_pton(AF_INET, std::string(host).c_str(), out.data()) == 1;
}

// IPv4 literal or DNS name. Dotted digits that are not a valid IPv4 address are refused
// rather than handed to the resolver, which would treat "1.2.3.999" as a name.
bool is_host(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (std::all_of(host.begin(), host.end(), [](char c) { return std::isdigit(c) || c == '.'; }))
    return is_ipv4(host);
  if (host.front() == '-' || host.front() == '.') return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

// http(s)://HOST[:PORT][/PATH] with nothing after the path: a base URL that paths are
// appended to (so no query, fragment, user info or trailing '/').
std::optional<std::string> base_url_problem(std::string_view url) {
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return "must start with http:// or https://";
  }
  if (std::any_of(url.begin(), url.end(), [](char c) { return c <= ' ' || c >= 127; }))
    return "must not contain spaces or control characters";
  if (url.find_first_of("?#@") != std::string_view::npos) return "must not have a query, fragment or user";
  if (url.ends_with('/')) return "must not end with '/'";
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos || !is_ipv6(authority.substr(1, close - 1)))
      return "has a bad IPv6 address";
    rest = authority.substr(close + 1);
  } else {
    const size_t colon = authority.find(':');
    if (!is_host(authority.substr(0, colon))) return "has no valid host";
    rest = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
  }
  if (rest.empty()) return std::nullopt;
  unsigned port = 0;
  const std::string_view digits = rest.substr(1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (!rest.starts_with(':') || digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
      port < 1 || port > 65535)
    return "has a bad port";
  return std::nullopt;
}

bool is_node_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

// Collects every problem instead of stopping at the first, so one run shows them all.
class Checker {
 public:
  void fail(std::string message) { errors_.push_back(std::move(message)); }

  void between(std::string_view name, int64_t value, int64_t min, int64_t max) {
    if (value < min || value > max) fail(fmt::format("{} must be {}..{}, got {}", name, min, max, value));
  }

  void at_least(std::string_view name, size_t value, size_t min) {
    if (value < min) fail(fmt::format("{} must be at least {}, got {}", name, min, value));
  }

  void base_url(std::string_view name, std::string_view url) {
    if (auto problem = base_url_problem(url)) fail(fmt::format("{} \"{}\" {}", name, url, *problem));
  }

  void sizes_between(std::string_view name, size_t value, size_t min, size_t max) {
    if (value < min || value > max) fail(fmt::format("{} must be {}..{}, got {}", name, min, max, value));
  }

  // Durations must be positive; the cap of a year keeps later arithmetic (backoff
  // doubling, deadline sums in nanoseconds) far from overflow.
  template <class Rep, class Period>
  void duration(std::string_view name, std::chrono::duration<Rep, Period> span) {
    using Span = std::chrono::duration<Rep, Period>;
    const auto max = std::chrono::duration_cast<Span>(std::chrono::days{366}).count();
    between(name, span.count(), 1, max);
  }

  std::vector<std::string> take() { return std::move(errors_); }

 private:
  std::vector<std::string> errors_;
};

void check_server(const ServerConfig& s, Checker& check) {
  if (!is_host(s.listen_host) && !is_ipv6(s.listen_host))
    check.fail(fmt::format("server.listen host \"{}\" is not an IP address or host name", s.listen_host));
  check.between("server.listen port", s.listen_port, 1, 65535);
  if (!s.public_base_url.empty()) check.base_url("server.public_base_url", s.public_base_url);
  check.between("server.io_threads", s.io_threads, 1, 256);
  check.between("server.actor_threads", s.actor_threads, 1, 256);
  check.at_least("server.max_body_bytes", s.max_body_bytes, 1024);
  check.sizes_between("server.max_header_bytes", s.max_header_bytes, 1024, 1 << 20);
  check.sizes_between("server.max_json_depth", s.max_json_depth, 1, 1024);
  check.at_least("server.max_connections", s.max_connections, 1);
  check.duration("server.read_timeout_ms", s.read_timeout_ms);
  check.duration("server.longpoll_max_s", s.longpoll_max_s);
  check.duration("server.longpoll_default_s", s.longpoll_default_s);
  if (s.longpoll_default_s > s.longpoll_max_s)
    check.fail(fmt::format("server.longpoll_default_s ({}) must not exceed server.longpoll_max_s ({})",
                           s.longpoll_default_s.count(), s.longpoll_max_s.count()));
  check.at_least("server.max_waiters_per_bill", s.max_waiters_per_bill, 1);
  check.between("server.timer_tick_ms", s.timer_tick_ms.count(), 0, 1000);
  check.at_least("server.timer_max_pending", s.timer_max_pending, 1);
  check.sizes_between("server.statement_page_rows", s.statement_page_rows, 1, 10000);
  check.duration("server.admission_target_delay_ms", s.admission_target_delay_ms);
  check.duration("server.admission_interval_ms", s.admission_interval_ms);
  check.duration("server.admission_latency_target_ms", s.admission_latency_target_ms);
  check.between("server.admission_max_in_flight", s.admission_max_in_flight, 8, 1000000);
  check.between("server.memory_trim_interval_ms", s.memory_trim_interval_ms.count(), 0, 86400000);
  // The token travels in an Authorization header: it must survive one unquoted.
  if (!std::all_of(s.admin_token.begin(), s.admin_token.end(), [](char c) { return c > ' ' && c < 127; }))
    check.fail("server.admin_token must be printable ASCII without spaces");
  if (s.node_id.empty() || s.node_id.size() > 64 ||
      !std::all_of(s.node_id.begin(), s.node_id.end(), is_node_char))
    check.fail(fmt::format("server.node_id must be 1..64 of [A-Za-z0-9._-], got \"{}\"", s.node_id));
  check.duration("server.heartbeat_interval_ms", s.heartbeat_interval_ms);
  check.duration("server.node_dead_after_ms", s.node_dead_after_ms);
  // One late or lost heartbeat must not make a live process look dead to a node starting.
  if (s.node_dead_after_ms < 2 * s.heartbeat_interval_ms)
    check.fail(
        fmt::format("server.node_dead_after_ms ({}) must be at least twice server.heartbeat_interval_ms ({})",
                    s.node_dead_after_ms.count(), s.heartbeat_interval_ms.count()));
  constexpr std::array<std::string_view, 5> kLevels{"trace", "debug", "info", "warn", "error"};
  if (std::find(kLevels.begin(), kLevels.end(), s.log_level) == kLevels.end())
    check.fail(
        fmt::format("server.log_level must be trace, debug, info, warn or error, got \"{}\"", s.log_level));
}

void check_database(const DatabaseConfig& d, Checker& check) {
  if (d.data_dir.empty()) check.fail("database.data_dir must not be empty");
  check.between("database.embedded_port", d.embedded_port, 1, 65535);
  // PostgreSQL wants min_wal_size of two segments (32 MB) at least, below max_wal_size (1 GB).
  if (d.embedded_wal_reserve_mb != 0)
    check.between("database.embedded_wal_reserve_mb", d.embedded_wal_reserve_mb, 32, 1024);
  check.between("database.reader_connections", d.reader_connections, 1, 256);
  check.at_least("database.write_queue_limit_ops", d.write_queue_limit_ops, 1);
  // New work needs at least one place in the queue that is not reserved.
  if (d.write_queue_reserved_ops >= d.write_queue_limit_ops)
    check.fail(fmt::format(
        "database.write_queue_reserved_ops ({}) must be below database.write_queue_limit_ops ({})",
        d.write_queue_reserved_ops, d.write_queue_limit_ops));
  check.at_least("database.read_queue_limit_ops", d.read_queue_limit_ops, 1);
  check.at_least("database.max_batch_ops", d.max_batch_ops, 1);
  for (const auto& [name, wait] : {std::pair{"database.new_work_admit_wait_ms", d.new_work_admit_wait_ms},
                                   std::pair{"database.new_work_max_wait_ms", d.new_work_max_wait_ms}}) {
    if (wait.count() != 0) check.duration(name, wait);  // 0: off
  }
  check.duration("database.housekeeping_statement_timeout_ms", d.housekeeping_statement_timeout_ms);
}

void check_bills(const BillsConfig& b, Checker& check) {
  check.duration("bills.ttl_s", b.ttl_s);
  check.duration("bills.expiry_sweep_interval_ms", b.expiry_sweep_interval_ms);
  check.sizes_between("bills.expiry_batch", b.expiry_batch, 1, 100000);
  check.at_least("bills.max_expiries_per_sweep", b.max_expiries_per_sweep, 1);
  check.duration("bills.purge_interval_ms", b.purge_interval_ms);
  check.sizes_between("bills.purge_chunk_rows", b.purge_chunk_rows, 1, 1000000);
  check.duration("bills.purge_pause_ms", b.purge_pause_ms);
  check.at_least("bills.max_purge_chunks", b.max_purge_chunks, 1);
  check.at_least("bills.max_live_bill_actors", b.max_live_bill_actors, 1);
  check.duration("bills.actor_idle_ms", b.actor_idle_ms);
  check.duration("bills.settled_actor_idle_ms", b.settled_actor_idle_ms);
  check.at_least("bills.max_pending_events_per_bill", b.max_pending_events_per_bill, 1);
  check.duration("bills.idempotency_keep_s", b.idempotency_keep_s);
  check.duration("bills.idempotency_wait_s", b.idempotency_wait_s);
  check.duration("bills.signature_window_s", b.signature_window_s);
  check.duration("bills.nonce_window_s", b.nonce_window_s);
  // A timestamp is good for signature_window_s either side of now, so a captured request
  // stays replayable for twice that: the nonce memory must cover the whole span, and the
  // clock skew between the node that checks the timestamp and the database that ages the
  // nonce (a replay 601 s after first use passed a 600 s memory with 300 s windows).
  if (b.nonce_window_s < 2 * b.signature_window_s + kNonceSkewMarginS)
    check.fail(
        fmt::format("bills.nonce_window_s ({}) must be at least 2 x bills.signature_window_s ({}) + {} s of "
                    "clock skew = {}",
                    b.nonce_window_s.count(), b.signature_window_s.count(), kNonceSkewMarginS.count(),
                    (2 * b.signature_window_s + kNonceSkewMarginS).count()));
  check.at_least("bills.max_passinfo_bytes", b.max_passinfo_bytes, 1);
  check.at_least("bills.max_extra_bytes", b.max_extra_bytes, 2);  // "{}"
  // One query carries the batch's ids as one array parameter: keep it well under 1 MB.
  check.sizes_between("bills.refresh_batch_bills", b.refresh_batch_bills, 1, 10000);
  check.sizes_between("bills.refresh_batches_per_s", b.refresh_batches_per_s, 0, 1000);
  check.sizes_between("bills.refresh_retries", b.refresh_retries, 0, 100);
}

void check_wallets(const WalletsConfig& w, Checker& check) {
  check.at_least("wallets.max_live_accounts", w.max_live_accounts, 1);
  check.at_least("wallets.max_pending_ops_per_account", w.max_pending_ops_per_account, 1);
  check.at_least("wallets.max_batch_ops", w.max_batch_ops, 1);
  check.at_least("wallets.max_active_holds", w.max_active_holds, 1);
  check.duration("wallets.actor_idle_ms", w.actor_idle_ms);
  check.duration("wallets.hold_sweep_interval_ms", w.hold_sweep_interval_ms);
  check.at_least("wallets.hold_sweep_batch", w.hold_sweep_batch, 1);
}

void check_delivery(const DeliveryConfig& d, Checker& check) {
  check.duration("delivery.backoff_initial_ms", d.backoff_initial_ms);
  check.duration("delivery.backoff_max_ms", d.backoff_max_ms);
  if (d.backoff_initial_ms > d.backoff_max_ms)
    check.fail(fmt::format("delivery.backoff_initial_ms ({}) must not exceed delivery.backoff_max_ms ({})",
                           d.backoff_initial_ms.count(), d.backoff_max_ms.count()));
  check.duration("delivery.give_up_after_s", d.give_up_after_s);
  check.duration("delivery.lease_ms", d.lease_ms);
  check.duration("delivery.timeout_ms", d.timeout_ms);
  // A lease shorter than one call lets another node claim a job that is still running.
  if (d.lease_ms <= d.timeout_ms)
    check.fail(fmt::format("delivery.lease_ms ({}) must exceed delivery.timeout_ms ({})", d.lease_ms.count(),
                           d.timeout_ms.count()));
  check.duration("delivery.poll_interval_ms", d.poll_interval_ms);
  check.at_least("delivery.max_concurrent", d.max_concurrent, 1);
  check.at_least("delivery.claim_batch", d.claim_batch, 1);
  check.at_least("delivery.max_concurrent_per_app", d.max_concurrent_per_app, 1);
  if (d.max_concurrent_per_app > d.max_concurrent)
    check.fail(
        fmt::format("delivery.max_concurrent_per_app ({}) must not exceed delivery.max_concurrent ({})",
                    d.max_concurrent_per_app, d.max_concurrent));
  check.duration("delivery.breaker_cooldown_ms", d.breaker_cooldown_ms);
  check.duration("delivery.keepalive_idle_ms", d.keepalive_idle_ms);
}

void check_providers(const ProvidersConfig& p, Checker& check) {
  check.base_url("providers.alipay_url", p.alipay_url);
  check.base_url("providers.wechatpay_url", p.wechatpay_url);
  check.base_url("providers.apple_production_url", p.apple_production_url);
  check.base_url("providers.apple_sandbox_url", p.apple_sandbox_url);
  check.base_url("providers.google_url", p.google_url);
  check.base_url("providers.stripe_url", p.stripe_url);
  check.at_least("providers.max_concurrent_calls", p.max_concurrent_calls, 1);
  check.sizes_between("providers.max_calls_per_operation", p.max_calls_per_operation, 1, 16);
  check.at_least("providers.max_response_bytes", p.max_response_bytes, 1024);
  check.duration("providers.idle_connection_ms", p.idle_connection_ms);
}

// The early (unpaid) queries of a bill stop at kMaxEarlyVerifyQueries (actors/verify_rules.hpp):
// the bound leaves the final query, at expiry, at least that many tries again.
void check_channels(const ChannelsConfig& c, Checker& check) {
  check.duration("channels.query_after_s", c.query_after_s);
  check.between("channels.verify_max_attempts", c.verify_max_attempts, 10, 1000);
  check.sizes_between("channels.verify_max_concurrent", c.verify_max_concurrent, 1, 100000);
  check.sizes_between("channels.pubsub_dedup_entries", c.pubsub_dedup_entries, 1, 10000000);
  check.between("channels.pubsub_dedup_ttl_s", c.pubsub_dedup_ttl_s.count(), 1,
                7 * 24 * 3600);  // Pub/Sub's longest retention
}

void check_callbacks(const CallbacksConfig& c, Checker& check) {
  check.between("callbacks.refused_audits_per_source_per_s", c.refused_audits_per_source_per_s, 1, 1000000);
  check.between("callbacks.refused_audits_per_app_per_s", c.refused_audits_per_app_per_s, 1, 1000000);
  check.between("callbacks.refused_audit_burst", c.refused_audit_burst, 1, 1000000);
  // One flush writes the whole queue as one statement of six parameters a row.
  check.sizes_between("callbacks.refused_audit_queue_limit", c.refused_audit_queue_limit, 1, 10000);
  check.duration("callbacks.refused_audit_flush_ms", c.refused_audit_flush_ms);
  check.sizes_between("callbacks.refused_audit_max_sources", c.refused_audit_max_sources, 1, 10000000);
  check.between("callbacks.app_reads_per_source_per_s", c.app_reads_per_source_per_s, 1, 1000000);
  check.between("callbacks.suspect_refusals_per_s", c.suspect_refusals_per_s, 1, 1000000);
  check.duration("callbacks.suspect_shut_out_ms", c.suspect_shut_out_ms);
  check.duration("callbacks.suspect_trust_ms", c.suspect_trust_ms);
}

}  // namespace

std::vector<std::string> validate(const Config& config) {
  Checker check;
  check_server(config.server, check);
  check_database(config.database, check);
  check_bills(config.bills, check);
  check_delivery(config.delivery, check);
  check_providers(config.providers, check);
  check_channels(config.channels, check);
  check_callbacks(config.callbacks, check);
  check_wallets(config.wallets, check);
  return check.take();
}

Result<HostPort> parse_host_port(std::string_view text) {
  auto fail = [text](std::string_view why) -> Error {
    return make_error(Errc::invalid_parameter, fmt::format("\"{}\" is not HOST:PORT: {}", text, why));
  };
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return fail("missing ']' after the IPv6 address");
    host = text.substr(1, close - 1);
    if (!is_ipv6(host)) return fail("not an IPv6 address inside []");
    const std::string_view rest = text.substr(close + 1);
    if (!rest.starts_with(':')) return fail("missing ':PORT' after ']'");
    port = rest.substr(1);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail("missing ':PORT'");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return fail("an IPv6 address needs brackets, e.g. [::1]:8080");
    if (!is_host(host)) return fail("the host is not an IP address or host name");
  }
  unsigned number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || number < 1 || number > 65535)
    return fail("the port must be 1..65535");
  return HostPort{std::string(host), static_cast<uint16_t>(number)};
}

std::string format_host_port(std::string_view host, uint16_t port) {
  if (host.find(':') != std::string_view::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

std::string default_node_id() {
  std::array<char, 256> name{};
  std::string host;
  if (gethostname(name.data(), name.size() - 1) == 0) host = name.data();
  // Keep the result valid for validate(): odd characters become '-', length stays <= 64.
  std::replace_if(
      host.begin(), host.end(), [](char c) { return !is_node_char(c); }, '-');
  if (host.empty()) host = "unknown";
  return "node-" + host.substr(0, 59);
}

}  // namespace unipay::config
