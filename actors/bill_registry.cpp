#include "actors/bill_registry.hpp"

#include <unordered_map>

#include <caf/all.hpp>

#include "actors/actor_context.hpp"
#include "actors/bill_actor.hpp"
#include "actors/bill_messages.hpp"

namespace unipay {
namespace {

class BillRegistry : public caf::event_based_actor {
 public:
  BillRegistry(caf::actor_config& cfg, std::shared_ptr<const ActorContext> context)
      : caf::event_based_actor(cfg), context_(std::move(context)) {}

  caf::behavior make_behavior() override {
    set_down_handler([this](caf::down_msg& down) { forget(down.source); });
    return {
        [this](msg::BillRequest& r) { route(std::move(r)); },
        [this](msg::Create& c) { create(std::move(c)); },
        [this](msg::RefreshAll) {
          for (auto& [id, actor] : live_) send(actor, msg::BillRequest{id, msg::Refresh{0}});
        },
    };
  }

 private:
  const ActorContext& ctx() const { return *context_; }
  bool full() const { return live_.size() >= ctx().config.bills.max_live_bill_actors; }

  void route(msg::BillRequest r) {
    auto it = live_.find(r.bill_id);
    if (it != live_.end()) return send(it->second, std::move(r));
    if (std::holds_alternative<msg::Refresh>(r.command)) return;  // not live here: nothing cached
    if (full()) return msg::fail(r, make_error(Errc::busy, "too many live bills; retry later"));
    caf::actor actor = adopt(r.bill_id);
    send(actor, std::move(r));
  }

  void create(msg::Create c) {
    if (full() || live_.count(c.bill.bill_id) != 0) {
      return c.reply(make_error(Errc::busy, "too many live bills; retry later"));
    }
    caf::actor actor = adopt(c.bill.bill_id);
    send(actor, std::move(c));
  }

  caf::actor adopt(const std::string& bill_id) {
    caf::actor actor = spawn_bill_actor(system(), context_, bill_id);
    monitor(actor);
    live_.emplace(bill_id, actor);
    ids_.emplace(actor.address(), bill_id);
    return actor;
  }

  void forget(const caf::actor_addr& source) {
    auto it = ids_.find(source);
    if (it == ids_.end()) return;
    live_.erase(it->second);
    ids_.erase(it);
  }

  std::shared_ptr<const ActorContext> context_;
  std::unordered_map<std::string, caf::actor> live_;
  std::unordered_map<caf::actor_addr, std::string> ids_;
};

}  // namespace

caf::actor spawn_bill_registry(caf::actor_system& system, std::shared_ptr<const ActorContext> context) {
  return system.spawn<BillRegistry>(std::move(context));
}

}  // namespace unipay
