#include "actors/bill_registry.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <chrono>

#include "actors/actor_context.hpp"
#include "actors/bill_actor.hpp"
#include "actors/bill_messages.hpp"
#include "actors/keyed_actors.hpp"
#include "actors/refresh_sweep.hpp"

namespace unipay {
namespace {

class BillRegistry : public caf::event_based_actor {
 public:
  BillRegistry(caf::actor_config& cfg, std::shared_ptr<const ActorContext> context)
      : caf::event_based_actor(cfg),
        context_(std::move(context)),
        live_(this, context_->config.bills.max_live_bill_actors,
              [this](const std::string& bill_id) { return spawn_bill_actor(system(), context_, bill_id); }),
        sweep_(RefreshSweepLimits{context_->config.bills.refresh_batch_bills,
                                  context_->config.bills.refresh_batches_per_s,
                                  context_->config.bills.refresh_retries}) {}
  // Stopping the owner at shutdown stops every child it spawned (Runtime::stop).
  void on_exit() override { live_.exit_all(); }

  caf::behavior make_behavior() override {
    set_down_handler([this](caf::down_msg& down) { live_.forget(down.source); });
    return {
        [this](msg::BillRequest& r) { route(std::move(r)); },
        [this](msg::Create& c) { create(std::move(c)); },
        [this](msg::RefreshAll) { start_sweep(); },
        [](msg::Probe& probe) { probe.done(); },
        [this](msg::SweepNext next) {
          if (next.generation == sweep_.generation()) read_batch();
        },
        [this](msg::SweepRead& read) {
          if (read.generation == sweep_.generation()) on_batch_read(std::move(read.versions));
        },
    };
  }

 private:
  bool full() const { return live_.full(); }

  void route(msg::BillRequest r) {
    if (const caf::actor* live = live_.find(r.bill_id)) return send(*live, std::move(r));
    if (msg::only_for_live_actor(r)) return;  // not live here: nothing cached, nobody waiting
    if (full()) return msg::fail(r, make_error(Errc::busy, "too many live bills; retry later"));
    send(live_.adopt(r.bill_id), std::move(r));
  }

  void create(msg::Create c) {
    if (full() || live_.contains(c.bill.bill_id)) {
      return c.reply(make_error(Errc::busy, "too many live bills; retry later"));
    }
    send(live_.adopt(c.bill.bill_id), std::move(c));
  }
  // --- after a LISTEN loss: re-read only the live bills whose version moved -------------

  void start_sweep() {
    std::vector<std::string> ids;
    ids.reserve(live_.size());
    live_.for_each([&ids](const std::string& id, const caf::actor&) { ids.push_back(id); });
    sweep_.start(std::move(ids));
    sweep_started_ = std::chrono::steady_clock::now();
    sweep_found_ = 0;
    spdlog::info("LISTEN connection back: checking the versions of {} live bills", sweep_.total());
    read_batch();
  }

  void read_batch() {
    if (sweep_.done()) return finish_sweep();
    std::span<const std::string> batch = sweep_.batch();
    caf::actor self = this;
    context_->db->read(storage::select_bill_versions({batch.begin(), batch.end()}),
                       [self, generation = sweep_.generation()](Result<storage::Rows> rows) {
                         using Versions = Result<std::vector<storage::BillVersion>>;
                         Versions versions =
                             rows ? Versions(storage::parse_bill_versions(*rows)) : Versions(rows.error());
                         caf::anon_send(self, msg::SweepRead{generation, std::move(versions)});
                       });
  }

  void on_batch_read(Result<std::vector<storage::BillVersion>> versions) {
    if (!versions) return on_batch_failed(versions.error());
    // The actor skips the read when it holds that version already (bill_actor.cpp).
    for (const auto& [bill_id, version] : *versions) {
      if (const caf::actor* live = live_.find(bill_id)) {
        send(*live, msg::BillRequest{bill_id, msg::Refresh{version}});
        ++sweep_found_;
      }
    }
    sweep_.batch_read();
    next_batch_after(sweep_.pause());
  }

  void on_batch_failed(const Error& error) {
    std::vector<std::string> batch(sweep_.batch().begin(), sweep_.batch().end());
    if (sweep_.batch_failed()) {
      spdlog::warn("refresh sweep: reading {} bill versions failed ({}); retrying", batch.size(),
                   error.message);
      return next_batch_after(RefreshSweep::retry_pause());
    }
    spdlog::warn("refresh sweep: giving up on {} bill versions ({}); those bills re-read their rows",
                 batch.size(), error.message);
    for (const std::string& id : batch) {
      if (const caf::actor* live = live_.find(id)) send(*live, msg::BillRequest{id, msg::Refresh{0}});
    }
    next_batch_after(sweep_.pause());
  }

  void next_batch_after(std::chrono::milliseconds pause) {
    if (pause.count() == 0) return read_batch();
    delayed_send(this, pause, msg::SweepNext{sweep_.generation()});
  }

  void finish_sweep() {
    auto took = std::chrono::steady_clock::now() - sweep_started_;
    spdlog::info("refresh sweep done: {} live bills checked in {} ms, {} sent a version to compare",
                 sweep_.total(), std::chrono::duration_cast<std::chrono::milliseconds>(took).count(),
                 sweep_found_);
  }

  std::shared_ptr<const ActorContext> context_;
  KeyedActors live_;
  RefreshSweep sweep_;
  std::chrono::steady_clock::time_point sweep_started_;
  size_t sweep_found_ = 0;
};

}  // namespace

caf::actor spawn_bill_registry(caf::actor_system& system, std::shared_ptr<const ActorContext> context) {
  return system.spawn<BillRegistry>(std::move(context));
}

}  // namespace unipay
