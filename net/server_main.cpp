#include "net/server_main.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <csignal>
#include <cstdio>
#include <future>
#include <thread>

#include "actors/runtime.hpp"
#include "net/admission.hpp"
#include "net/database_setup.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "net/log_format.hpp"
#include "net/memory_trim.hpp"
#include "net/provider_bill_querier.hpp"
#include "net/provider_client.hpp"
#include "net/router.hpp"
#include "net/token_key_file.hpp"
#include "storage/node_store.hpp"

namespace unipay {

void setup_logging(const config::ServerConfig& server) {
  auto logger = spdlog::stderr_logger_mt("unipay");
  logfmt::use_format(*logger, server.log_json);
  logger->set_level(spdlog::level::from_str(server.log_level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

namespace {

// Blocks SIGINT/SIGTERM in every thread started after this; main waits for them with sigwait.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Outbound delivery calls run on their own io thread, independent of the HTTP server.
struct DeliveryIo {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~DeliveryIo() {
    work.reset();
    io.stop();
    thread.join();
  }
};

void on_notification(Runtime& runtime, const std::string& payload) {
  // "<bill_id> <state> <version>"
  size_t first = payload.find(' ');
  size_t last = payload.rfind(' ');
  if (first == std::string::npos || last == first) return;
  int64_t version = std::strtoll(payload.c_str() + last + 1, nullptr, 10);
  runtime.bill_changed(payload.substr(0, first), version);
}

// The key sealing client tokens in stored idempotent answers (created on first start).
Result<TokenKey> load_token_key(const config::Config& config) {
  const std::string path = token_key_path(config);
  auto loaded = load_or_create_token_key(path);
  if (!loaded) return loaded.error();
  if (loaded->created) spdlog::info("created token key {} (id {}): back it up", path, loaded->key.id);
  if (loaded->readable_by_others)
    spdlog::warn("token key {} is readable by group or others: chmod 600 it", path);
  spdlog::info("token key {} (id {})", path, loaded->key.id);
  return std::move(loaded->key);
}

}  // namespace

// LISTEN for cross-node wake-ups. When the database cannot be reached now, the listener
// keeps trying with backoff; each time LISTEN holds again every live bill re-reads its row.
Result<std::unique_ptr<storage::Listener>> start_listener(const std::string& conninfo, Runtime& rt,
                                                          const storage::NodeIdentity& node) {
  auto listener = storage::Listener::start(
      conninfo, "unipay_bill", [&rt](std::string payload) { on_notification(rt, payload); },
      [&rt] {
        spdlog::info("LISTEN holds again: every live bill re-reads its row");
        rt.refresh_all();
      },
      node.incarnation);
  if (listener && !(*listener)->listening())
    spdlog::warn(
        "LISTEN unavailable at start; retrying with backoff (cross-node wake-ups resume when it holds)");
  return listener;
}

int run_serve(const config::Config& config) {
  sigset_t stop_signals = block_stop_signals();
  setup_logging(config.server);
  const storage::NodeIdentity node = storage::make_node_identity(config.server.node_id);
  auto setup = setup_database(config, node.incarnation);
  if (!setup) {
    spdlog::error("cannot start: {}", setup.error().message);
    return 1;
  }
  storage::Database& db = *setup->db;
  auto token_key = load_token_key(config);
  if (!token_key) {
    spdlog::error("cannot start: {}", token_key.error().message);
    return 1;
  }
  DeliveryIo delivery_io;
  auto transport = http::make_http_transport(delivery_io.io, http::delivery_client_options(config.delivery));
  // Provider calls (prepare, callback verification, the janitor's queries) share the delivery
  // io thread, deadline and TLS rules, with their own kept-alive connections and limits
  // ([providers]).
  auto provider_transport = http::make_http_transport(delivery_io.io, provider_transport_options(config));
  ProviderClient providers(*provider_transport, provider_client_options(config));
  ProviderBillQuerier verify_querier(
      db, providers, channels::provider_urls(config.providers),
      [&delivery_io](std::function<void()> fn) { boost::asio::post(delivery_io.io, std::move(fn)); });
  auto runtime = Runtime::start(config, db, *transport, node, &verify_querier);
  if (!runtime) {
    spdlog::error("cannot start the actors: {}", runtime.error().message);
    return 1;
  }
  Runtime& rt = **runtime;
  auto listener = start_listener(setup->conninfo, rt, node);
  if (!listener) {
    spdlog::error("cannot start the LISTEN thread: {}", listener.error().message);
    return 1;
  }

  MemoryTrimmer memory_trimmer(config.server.memory_trim_interval_ms);
  Metrics metrics;
  metrics.refused_audits = &rt.refused_audits();
  for (std::string_view name : channels::default_registry().names())
    metrics.callback_channels.emplace_back(name);
  metrics.verify_queries = &verify_querier;
  Api api{config, &db, &rt.bills(), {}, &metrics, [] { return true; }, std::move(*token_key)};
  api.refused_audits = &rt.refused_audits();
  api.wallets = &rt.wallets();
  api.providers = &providers;
  api.provider_urls = channels::provider_urls(config.providers);
  const auto& s = config.server;
  http::ServerOptions options{s.listen_host,      s.listen_port,     s.io_threads,     s.max_body_bytes,
                              s.max_header_bytes, s.max_connections, s.read_timeout_ms};
  // The router reads api.post, so it is set before the first request can arrive.
  std::unique_ptr<http::Server> server;
  std::promise<http::Post> poster;
  api.post = [future = poster.get_future().share()](std::function<void()> fn) {
    future.get()(std::move(fn));
  };
  // Before the server starts, so no request reads api.admission while it is set; its io
  // probes wait (on its own thread) until the server's poster exists.
  Admission admission(
      [&db] { return db.admits_new_work(); },
      {{"io", [&api](std::function<void()> done) { api.post(std::move(done)); }},
       {"bill registry", [&rt](std::function<void()> done) { rt.probe_registry(std::move(done)); }}},
      {s.admission_target_delay_ms, s.admission_interval_ms},
      {.target = s.admission_latency_target_ms, .max_limit = s.admission_max_in_flight});
  api.admission = &admission;
  auto started = http::Server::start(options, make_router(api));
  if (!started) {
    poster.set_value([](std::function<void()>) {});  // lets the probe thread stop
    spdlog::error("cannot listen on {}:{}: {}", s.listen_host, s.listen_port, started.error().message);
    return 1;
  }
  server = std::move(*started);
  poster.set_value(server->poster());
  std::printf("unipayd listening on http://%s (node %s, database %s)\n",
              config::format_host_port(s.listen_host, server->port()).c_str(), node.owner().c_str(),
              config.database.url.empty() ? "embedded" : "external");
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("signal {}: stopping", signal_number);
  server->stop();
  rt.stop();
  listener = make_error(Errc::server_busy, "stopped");
  if (setup->embedded) (void)setup->embedded->stop();
  return 0;
}

int run_migrate(const config::Config& config) {
  setup_logging(config.server);
  auto setup = setup_database(config);
  if (!setup) {
    spdlog::error("migration failed: {}", setup.error().message);
    return 1;
  }
  std::printf("migrations applied\n");
  return 0;
}

}  // namespace unipay
