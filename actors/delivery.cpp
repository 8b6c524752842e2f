#include "actors/delivery.hpp"

#include <caf/actor.hpp>

#include "actors/actor_context.hpp"
#include "actors/delivery_attempt_actor.hpp"
#include "actors/job_dispatcher.hpp"

namespace unipay {

caf::actor spawn_delivery_dispatcher(caf::actor_system& system, std::shared_ptr<const ActorContext> context) {
  const config::DeliveryConfig& d = context->config.delivery;
  JobKind kind;
  kind.kind = "delivery";
  kind.limits = {d.max_concurrent, d.max_concurrent_per_app, d.breaker_failures, d.breaker_cooldown_ms};
  kind.lease_ms = d.lease_ms;
  kind.poll_interval_ms = d.poll_interval_ms;
  kind.claim_batch = d.claim_batch;
  kind.give_up_after_s = d.give_up_after_s;
  kind.spawn_attempt = spawn_delivery_attempt;
  return spawn_job_dispatcher(system, std::move(context), std::move(kind));
}

}  // namespace unipay
