#include "actors/runtime.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <caf/all.hpp>
#include <chrono>
#include <thread>

#include "actors/actor_context.hpp"
#include "actors/bill_messages.hpp"
#include "actors/bill_registry.hpp"
#include "actors/coarse_timer.hpp"
#include "actors/delivery.hpp"
#include "actors/hold_sweep.hpp"
#include "actors/housekeeping.hpp"
#include "actors/node_heartbeat.hpp"
#include "actors/verify_actor.hpp"
#include "actors/wallet_registry.hpp"

namespace unipay {

// How long a stop waits for every actor to finish (Runtime::await_actors_stopped).
constexpr std::chrono::milliseconds kShutdownDrain{5000};
namespace {

constexpr int kDroppedRetries = 3;
// Rows of incarnations silent this long are deleted at start (one row per process start).
constexpr std::chrono::milliseconds kForgetNodesAfter = std::chrono::hours(24 * 7);

// Routes every call through the registry to the bill's actor. A request dropped because
// the actor stopped (idle reaping) never reached it, so it is sent again.
class RoutedBillService : public BillService {
 public:
  void set_registry(caf::actor registry) { registry_ = std::move(registry); }

  void create(Bill bill, std::optional<storage::IdempotencyRecord> idempotency,
              std::optional<storage::NonceClaim> nonce, Callback<CreateResult> done) override {
    caf::anon_send(registry_, msg::Create{std::move(bill), std::move(idempotency),
                                          Reply<CreateResult>(std::move(done)), std::move(nonce)});
  }

  void get(const std::string& bill_id, Callback<Bill> done) override {
    route<Bill>(
        bill_id, [](Reply<Bill> r) { return msg::Get{std::move(r)}; }, std::move(done), kDroppedRetries);
  }

  uint64_t wait(const std::string& bill_id, WaitUntil until, std::chrono::milliseconds timeout,
                Callback<WaitResult> done) override {
    const uint64_t wait_id = next_wait_id_.fetch_add(1, std::memory_order_relaxed) + 1;
    route<WaitResult>(
        bill_id,
        [until, timeout, wait_id](Reply<WaitResult> r) {
          return msg::Wait{until, timeout, std::move(r), wait_id};
        },
        std::move(done), kDroppedRetries);
    return wait_id;
  }

  void abandon_wait(const std::string& bill_id, uint64_t wait_id) override {
    caf::anon_send(registry_, msg::BillRequest{bill_id, msg::Abandon{wait_id}});
  }

  void apply(const std::string& bill_id, BillEvent event, std::optional<storage::CallbackAudit> audit,
             Callback<EventResult> done) override {
    route<EventResult>(
        bill_id,
        [event, audit](Reply<EventResult> r) {
          return msg::Event{event, audit, std::move(r)};
        },
        std::move(done), kDroppedRetries);
  }

  void confirm_delivery(const std::string& bill_id, storage::DeliveryAttempt attempt,
                        Callback<EventResult> done) override {
    BillEvent event;
    event.kind = BillEventKind::delivery_confirmed;
    route<EventResult>(
        bill_id,
        [event, attempt](Reply<EventResult> r) {
          return msg::Event{event, std::nullopt, std::move(r), attempt};
        },
        std::move(done), kDroppedRetries);
  }

  void refresh(const std::string& bill_id) override { send_refresh(bill_id, 0); }

  void send_refresh(const std::string& bill_id, int64_t version) {
    caf::anon_send(registry_, msg::BillRequest{bill_id, msg::Refresh{version}});
  }

 private:
  template <class T, class MakeCommand>
  void route(const std::string& bill_id, MakeCommand make, Callback<T> done, int retries) {
    Reply<T> reply([this, bill_id, make, done, retries](Result<T> result) {
      if (!result && is_dropped(result.error()) && retries > 0) {
        return route<T>(bill_id, make, done, retries - 1);
      }
      done(std::move(result));
    });
    caf::anon_send(registry_, msg::BillRequest{bill_id, make(std::move(reply))});
  }

  caf::actor registry_;
  std::atomic<uint64_t> next_wait_id_{0};
};

// How long an idle actor worker sleeps before it looks for work on its peers' queues.
constexpr std::chrono::milliseconds kIdleStealInterval{1};

caf::actor_system_config make_caf_config(const config::Config& config) {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", static_cast<size_t>(config.server.actor_threads));
  cfg.set("logger.verbosity", caf::atom("quiet"));
  // An idle worker spins briefly, then sleeps on its condition variable, which a message
  // sent to it from outside (an io or storage thread) wakes at once; a message an actor sends
  // stays on its worker's queue, where an idle peer finds it within kIdleStealInterval.
  // CAF's default in between, 500 wake-ups 50 µs apart per idle spell, cost more unipayd CPU
  // at the maximum lifecycle rate than any handler (perf: clock_nanosleep and the context
  // switches it causes).
  cfg.set("work-stealing.moderate-poll-attempts", size_t{0});
  cfg.set("work-stealing.relaxed-sleep-duration", caf::timespan{kIdleStealInterval});
  return cfg;
}

// Before any actor runs: this incarnation's row first (so no node starting next judges it
// dead), then the leases of dead incarnations, this node name's previous one included.
Status take_over_leases(const config::Config& config, storage::Database& db,
                        const storage::NodeIdentity& node) {
  auto registered = db.run_blocking(storage::heartbeat_node(node));
  if (!registered) return registered.error();
  auto taken =
      db.run_blocking(storage::take_over_dead_leases(node.owner(), config.server.node_dead_after_ms));
  if (!taken) return taken.error();
  if (taken->affected > 0) spdlog::info("took over {} job leases of dead node incarnations", taken->affected);
  auto forgotten = db.run_blocking(storage::forget_dead_nodes(kForgetNodesAfter));
  if (!forgotten) spdlog::warn("forgetting old node rows failed: {}", forgotten.error().message);
  return ok_status();
}

RefusedAuditLimits refused_audit_limits(const config::CallbacksConfig& c) {
  return {c.refused_audits_per_source_per_s, c.refused_audits_per_app_per_s, c.refused_audit_burst,
          c.refused_audit_queue_limit,       c.refused_audit_flush_ms,       c.refused_audit_max_sources};
}

}  // namespace

struct Runtime::Impl {
  Impl(const config::Config& config, storage::Database& db)
      : bill_storage(make_database_bill_storage(db)),
        wallet_storage(make_database_wallet_storage(db)),
        caf_config(make_caf_config(config)),
        system(caf_config) {}
  std::unique_ptr<BillStorage> bill_storage;  // declared first: outlives every actor
  std::unique_ptr<WalletStorage> wallet_storage;
  caf::actor_system_config caf_config;
  caf::actor_system system;
  RoutedBillService service;
  std::unique_ptr<RefusedAuditSink> refused_audits;
  std::unique_ptr<WalletService> wallets;  // after the system: holds an actor handle
  std::shared_ptr<ActorContext> context;
  caf::actor hold_sweep;
  caf::actor housekeeping;
  caf::actor heartbeat;
  bool stopped = false;
};

Result<std::unique_ptr<Runtime>> Runtime::start(const config::Config& config, storage::Database& db,
                                                DeliveryTransport& transport,
                                                const storage::NodeIdentity& node, BillQuerier* querier) {
  if (auto taken = take_over_leases(config, db, node); !taken) return taken.error();
  std::unique_ptr<Runtime> runtime(new Runtime());
  runtime->impl_ = std::make_unique<Impl>(config, db);
  Impl& impl = *runtime->impl_;
  impl.context = std::make_shared<ActorContext>();
  impl.context->db = &db;
  impl.context->bill_storage = impl.bill_storage.get();
  impl.context->wallet_storage = impl.wallet_storage.get();
  impl.context->transport = &transport;
  impl.context->bills = &impl.service;
  impl.context->querier = querier;
  impl.context->config = config;
  impl.context->lease_owner = node.owner();
  // Handles are filled in before any message reaches an actor that reads them.
  if (config.server.timer_tick_ms.count() > 0) {
    impl.context->timer = spawn_coarse_timer(
        impl.system, CoarseTimerLimits{config.server.timer_tick_ms, config.server.timer_max_pending});
  }
  impl.context->registry = spawn_bill_registry(impl.system, impl.context);
  impl.service.set_registry(impl.context->registry);
  impl.context->wallet_registry = spawn_wallet_registry(impl.system, impl.context);
  impl.wallets = make_routed_wallet_service(impl.context->wallet_registry, db);
  impl.context->wallets = impl.wallets.get();
  impl.context->dispatcher = spawn_delivery_dispatcher(impl.system, impl.context);
  if (querier != nullptr)
    impl.context->verify_dispatcher = spawn_verify_dispatcher(impl.system, impl.context);
  impl.hold_sweep = spawn_hold_sweep(impl.system, impl.context);
  impl.housekeeping = spawn_housekeeping(impl.system, impl.context);
  impl.heartbeat = spawn_node_heartbeat(impl.system, impl.context, node);
  impl.refused_audits = RefusedAuditSink::start(impl.system, db, refused_audit_limits(config.callbacks));
  return runtime;
}

Runtime::~Runtime() { stop(); }

BillService& Runtime::bills() { return impl_->service; }

RefusedCallbackAudits& Runtime::refused_audits() { return *impl_->refused_audits; }
WalletService& Runtime::wallets() { return *impl_->wallets; }

void Runtime::bill_changed(const std::string& bill_id, int64_t version) {
  impl_->service.send_refresh(bill_id, version);
}

void Runtime::refresh_all() { caf::anon_send(impl_->context->registry, msg::RefreshAll{}); }

void Runtime::probe_registry(std::function<void()> done) {
  caf::anon_send(impl_->context->registry, msg::Probe{std::move(done)});
}

void Runtime::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  // Long-lived actors hold each other through the context: stop them explicitly. The
  // registries and the dispatcher stop their children as they exit.
  for (const caf::actor* a :
       {&impl_->context->registry, &impl_->context->dispatcher, &impl_->context->verify_dispatcher,
        &impl_->context->wallet_registry, &impl_->hold_sweep, &impl_->housekeeping, &impl_->heartbeat,
        &impl_->context->timer}) {
    if (*a) caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
  }
  impl_->refused_audits->stop();
  await_actors_stopped();
  impl_->system.await_actors_before_shutdown(false);
}

// The services actors call (bills, wallets, audits) are destroyed before the actor system:
// no actor may still be running then. Bounded, so a stuck actor cannot hang the shutdown.
void Runtime::await_actors_stopped() {
  const auto deadline = std::chrono::steady_clock::now() + kShutdownDrain;
  auto& registry = impl_->system.registry();
  while (registry.running() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (registry.running() > 0) {
    spdlog::warn("{} actors still running {} ms after the stop", registry.running(), kShutdownDrain.count());
  }
}

}  // namespace unipay
