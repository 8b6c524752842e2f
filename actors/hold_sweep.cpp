#include "actors/hold_sweep.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <set>

#include "actors/actor_context.hpp"
#include "actors/wallet_messages.hpp"
#include "storage/wallet_store.hpp"

namespace unipay::hsmsg {
struct Sweep {};
struct Found {
  Result<storage::Rows> rows;
};
}  // namespace unipay::hsmsg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::hsmsg::Sweep)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::hsmsg::Found)

namespace unipay {
namespace {

class HoldSweep : public caf::event_based_actor {
 public:
  HoldSweep(caf::actor_config& cfg, std::shared_ptr<const ActorContext> ctx)
      : caf::event_based_actor(cfg), ctx_(std::move(ctx)) {}

  caf::behavior make_behavior() override {
    send(this, hsmsg::Sweep{});
    return {
        [this](hsmsg::Sweep) { sweep(); },
        [this](hsmsg::Found& m) { on_found(std::move(m.rows)); },
    };
  }

 private:
  void sweep() {
    delayed_send(this, ctx_->config.wallets.hold_sweep_interval_ms, hsmsg::Sweep{});
    if (reading_) return;
    reading_ = true;
    caf::actor self = this;
    ctx_->db->read(
        storage::select_due_holds(static_cast<int>(ctx_->config.wallets.hold_sweep_batch)),
        [self](Result<storage::Rows> rows) { caf::anon_send(self, hsmsg::Found{std::move(rows)}); });
  }

  // One wake per account, however many of its holds are due.
  void on_found(Result<storage::Rows> rows) {
    reading_ = false;
    if (!rows) return spdlog::warn("hold sweep failed: {}", rows.error().message);
    std::set<std::pair<std::string, std::string>> accounts;
    for (const auto& due : storage::parse_due_holds(*rows)) accounts.emplace(due.app_id, due.account_id);
    for (const auto& [app_id, account_id] : accounts) {
      send(ctx_->wallet_registry, wmsg::WalletRequest{app_id, account_id, wmsg::Wake{}});
    }
  }

  std::shared_ptr<const ActorContext> ctx_;
  bool reading_ = false;
};

}  // namespace

caf::actor spawn_hold_sweep(caf::actor_system& system, std::shared_ptr<const ActorContext> context) {
  return system.spawn<HoldSweep>(std::move(context));
}

}  // namespace unipay
