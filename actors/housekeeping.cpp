#include "actors/housekeeping.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>

#include "actors/actor_context.hpp"
#include "actors/bill_service.hpp"
#include "storage/app_store.hpp"
#include "storage/bill_store.hpp"

namespace unipay::hmsg {
struct Sweep {};
struct Expired {
  Result<storage::Rows> rows;
};
}  // namespace unipay::hmsg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::hmsg::Sweep)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::hmsg::Expired)

namespace unipay {
namespace {

constexpr int kExpiryBatch = 200;
constexpr int kPurgeEverySweeps = 60;

class Housekeeping : public caf::event_based_actor {
 public:
  Housekeeping(caf::actor_config& cfg, std::shared_ptr<const ActorContext> ctx)
      : caf::event_based_actor(cfg), ctx_(std::move(ctx)) {}

  caf::behavior make_behavior() override {
    send(this, hmsg::Sweep{});
    return {
        [this](hmsg::Sweep) { sweep(); },
        [this](hmsg::Expired& m) { on_expired(std::move(m.rows)); },
    };
  }

 private:
  void sweep() {
    delayed_send(this, ctx_->config.bills.expiry_sweep_interval_ms, hmsg::Sweep{});
    if (++sweeps_ % kPurgeEverySweeps == 1) purge();
    caf::actor self = this;
    ctx_->db->read(storage::select_expired_bills(kExpiryBatch), [self](Result<storage::Rows> rows) {
      caf::anon_send(self, hmsg::Expired{std::move(rows)});
    });
  }

  void on_expired(Result<storage::Rows> rows) {
    if (!rows) return spdlog::warn("expiry sweep failed: {}", rows.error().message);
    for (size_t i = 0; i < rows->size(); ++i) {
      BillEvent event;
      event.kind = BillEventKind::expire;
      ctx_->bills->apply(rows->text(i, 0), event, std::nullopt, [](Result<EventResult>) {});
    }
  }

  void purge() {
    const auto& b = ctx_->config.bills;
    ctx_->db->write(storage::purge_expired(static_cast<int>(b.nonce_window_s.count()),
                                           static_cast<int>(b.idempotency_keep_s.count())),
                    [](Result<std::vector<storage::Rows>> r) {
                      if (!r) spdlog::warn("purge of nonces/idempotency keys failed: {}", r.error().message);
                    });
  }

  std::shared_ptr<const ActorContext> ctx_;
  uint64_t sweeps_ = 0;
};

}  // namespace

caf::actor spawn_housekeeping(caf::actor_system& system, std::shared_ptr<const ActorContext> context) {
  return system.spawn<Housekeeping>(std::move(context));
}

}  // namespace unipay
