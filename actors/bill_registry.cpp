#include "actors/bill_registry.hpp"

#include <caf/all.hpp>

#include "actors/actor_context.hpp"
#include "actors/bill_actor.hpp"
#include "actors/bill_messages.hpp"
#include "actors/keyed_actors.hpp"

namespace unipay {
namespace {

class BillRegistry : public caf::event_based_actor {
 public:
  BillRegistry(caf::actor_config& cfg, std::shared_ptr<const ActorContext> context)
      : caf::event_based_actor(cfg),
        context_(std::move(context)),
        live_(this, context_->config.bills.max_live_bill_actors,
              [this](const std::string& bill_id) { return spawn_bill_actor(system(), context_, bill_id); }) {}

  // Stopping the owner at shutdown stops every child it spawned (Runtime::stop).
  void on_exit() override { live_.exit_all(); }

  caf::behavior make_behavior() override {
    set_down_handler([this](caf::down_msg& down) { live_.forget(down.source); });
    return {
        [this](msg::BillRequest& r) { route(std::move(r)); },
        [this](msg::Create& c) { create(std::move(c)); },
        [this](msg::RefreshAll) {
          live_.for_each([this](const std::string& id, const caf::actor& actor) {
            send(actor, msg::BillRequest{id, msg::Refresh{0}});
          });
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

  std::shared_ptr<const ActorContext> context_;
  KeyedActors live_;
};

}  // namespace

caf::actor spawn_bill_registry(caf::actor_system& system, std::shared_ptr<const ActorContext> context) {
  return system.spawn<BillRegistry>(std::move(context));
}

}  // namespace unipay
