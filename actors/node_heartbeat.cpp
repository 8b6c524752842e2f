#include "actors/node_heartbeat.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>

#include "actors/actor_context.hpp"

namespace unipay::nmsg {
struct Beat {};
struct Beaten {
  Status status;
};
}  // namespace unipay::nmsg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::nmsg::Beat)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::nmsg::Beaten)

namespace unipay {
namespace {

class NodeHeartbeat : public caf::event_based_actor {
 public:
  NodeHeartbeat(caf::actor_config& cfg, std::shared_ptr<const ActorContext> ctx, storage::NodeIdentity node)
      : caf::event_based_actor(cfg), ctx_(std::move(ctx)), node_(std::move(node)) {}

  caf::behavior make_behavior() override {
    // The runtime registered this incarnation just before: the first beat is one interval on.
    delayed_send(this, interval(), nmsg::Beat{});
    return {
        [this](nmsg::Beat) { beat(); },
        [this](nmsg::Beaten& m) { on_beaten(m.status); },
    };
  }

 private:
  std::chrono::milliseconds interval() const { return ctx_->config.server.heartbeat_interval_ms; }

  void beat() {
    delayed_send(this, interval(), nmsg::Beat{});
    if (in_flight_) return;  // a slow writer: one heartbeat queued is enough
    in_flight_ = true;
    caf::actor self = this;
    ctx_->db->write({storage::heartbeat_node(node_)}, [self](Result<std::vector<storage::Rows>> rows) {
      caf::anon_send(self, nmsg::Beaten{rows ? ok_status() : Status(rows.error())});
    });
  }

  // Logged once per streak of failures, and once when it recovers.
  void on_beaten(const Status& status) {
    in_flight_ = false;
    if (!status && !failing_) {
      spdlog::warn(
          "heartbeat of {} failed ({}); after {} ms without one, a node starting may take over "
          "this process's job leases",
          node_.owner(), status.error().message, ctx_->config.server.node_dead_after_ms.count());
    } else if (status && failing_) {
      spdlog::info("heartbeat of {} written again", node_.owner());
    }
    failing_ = !status;
  }

  std::shared_ptr<const ActorContext> ctx_;
  storage::NodeIdentity node_;
  bool in_flight_ = false;
  bool failing_ = false;
};

}  // namespace

caf::actor spawn_node_heartbeat(caf::actor_system& system, std::shared_ptr<const ActorContext> context,
                                storage::NodeIdentity node) {
  return system.spawn<NodeHeartbeat>(std::move(context), std::move(node));
}

}  // namespace unipay
