#include "actors/runtime.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>

#include "actors/actor_context.hpp"
#include "actors/bill_messages.hpp"
#include "actors/bill_registry.hpp"
#include "actors/delivery.hpp"
#include "actors/housekeeping.hpp"
#include "storage/job_store.hpp"

namespace unipay {
namespace {

constexpr int kDroppedRetries = 3;

// Routes every call through the registry to the bill's actor. A request dropped because
// the actor stopped (idle reaping) never reached it, so it is sent again.
class RoutedBillService : public BillService {
 public:
  void set_registry(caf::actor registry) { registry_ = std::move(registry); }

  void create(Bill bill, std::optional<storage::IdempotencyRecord> idempotency,
              Callback<CreateResult> done) override {
    caf::anon_send(registry_, msg::Create{std::move(bill), std::move(idempotency),
                                          Reply<CreateResult>(std::move(done))});
  }

  void get(const std::string& bill_id, Callback<Bill> done) override {
    route<Bill>(
        bill_id, [](Reply<Bill> r) { return msg::Get{std::move(r)}; }, std::move(done), kDroppedRetries);
  }

  void wait(const std::string& bill_id, WaitUntil until, std::chrono::milliseconds timeout,
            Callback<WaitResult> done) override {
    route<WaitResult>(
        bill_id,
        [until, timeout](Reply<WaitResult> r) {
          return msg::Wait{until, timeout, std::move(r)};
        },
        std::move(done), kDroppedRetries);
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
};

caf::actor_system_config make_caf_config(const config::Config& config) {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", static_cast<size_t>(config.server.actor_threads));
  cfg.set("logger.verbosity", caf::atom("quiet"));
  return cfg;
}

}  // namespace

struct Runtime::Impl {
  Impl(const config::Config& config, storage::Database& db)
      : bill_storage(make_database_bill_storage(db)),
        caf_config(make_caf_config(config)),
        system(caf_config) {}
  std::unique_ptr<BillStorage> bill_storage;  // declared first: outlives every actor
  caf::actor_system_config caf_config;
  caf::actor_system system;
  RoutedBillService service;
  std::shared_ptr<ActorContext> context;
  bool stopped = false;
};

Result<std::unique_ptr<Runtime>> Runtime::start(const config::Config& config, storage::Database& db,
                                                DeliveryTransport& transport) {
  auto released = db.run_blocking(storage::release_leases_of(config.server.node_id));
  if (!released) return released.error();
  if (released->affected > 0) {
    spdlog::info("took back {} job leases of node {}", released->affected, config.server.node_id);
  }
  std::unique_ptr<Runtime> runtime(new Runtime());
  runtime->impl_ = std::make_unique<Impl>(config, db);
  Impl& impl = *runtime->impl_;
  impl.context = std::make_shared<ActorContext>();
  impl.context->db = &db;
  impl.context->bill_storage = impl.bill_storage.get();
  impl.context->transport = &transport;
  impl.context->bills = &impl.service;
  impl.context->config = config;
  // Handles are filled in before any message reaches an actor that reads them.
  impl.context->registry = spawn_bill_registry(impl.system, impl.context);
  impl.service.set_registry(impl.context->registry);
  impl.context->dispatcher = spawn_delivery_dispatcher(impl.system, impl.context);
  spawn_housekeeping(impl.system, impl.context);
  return runtime;
}

Runtime::~Runtime() { stop(); }

BillService& Runtime::bills() { return impl_->service; }

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
  // Long-lived actors hold each other through the context: stop them explicitly.
  caf::anon_send_exit(impl_->context->registry, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(impl_->context->dispatcher, caf::exit_reason::user_shutdown);
  impl_->system.await_actors_before_shutdown(false);
}

}  // namespace unipay
