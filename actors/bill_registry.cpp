#include "actors/bill_registry.hpp"

#include <caf/all.hpp>

#include "actors/actor_context.hpp"
#include "actors/actor_directory.hpp"
#include "actors/bill_actor.hpp"
#include "actors/bill_messages.hpp"

namespace unipay {
namespace {

class BillRegistry : public caf::event_based_actor {
 public:
  BillRegistry(caf::actor_config& cfg, std::shared_ptr<const ActorContext> context)
      : caf::event_based_actor(cfg), context_(std::move(context)) {}

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
  const ActorContext& ctx() const { return *context_; }
  bool full() const { return live_.size() >= ctx().config.bills.max_live_bill_actors; }

  void route(msg::BillRequest r) {
    if (const caf::actor* live = live_.find(r.bill_id)) return send(*live, std::move(r));
    if (msg::only_for_live_actor(r)) return;  // not live here: nothing cached, nobody waiting
    if (full()) return msg::fail(r, make_error(Errc::busy, "too many live bills; retry later"));
    caf::actor actor = adopt(r.bill_id);
    send(actor, std::move(r));
  }

  void create(msg::Create c) {
    if (full() || live_.contains(c.bill.bill_id)) {
      return c.reply(make_error(Errc::busy, "too many live bills; retry later"));
    }
    caf::actor actor = adopt(c.bill.bill_id);
    send(actor, std::move(c));
  }

  caf::actor adopt(const std::string& bill_id) {
    caf::actor actor = spawn_bill_actor(system(), context_, bill_id);
    monitor(actor);
    live_.add(bill_id, actor);
    return actor;
  }

  std::shared_ptr<const ActorContext> context_;
  ActorDirectory live_;
};

}  // namespace

caf::actor spawn_bill_registry(caf::actor_system& system, std::shared_ptr<const ActorContext> context) {
  return system.spawn<BillRegistry>(std::move(context));
}

}  // namespace unipay
