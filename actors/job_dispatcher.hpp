// The job machinery shared by every kind of job in the jobs table (delivery, verify): a
// dispatcher claims due jobs of its kind (FOR UPDATE SKIP LOCKED, leased to this process's
// node identity, fair between apps), runs one attempt actor per job within its caps
// (actors/delivery_admission), gives back at once what it cannot start, and claims again
// when a retry's wait ends. An attempt actor owns one attempt: every job write it makes
// names the lease holder (reschedule with backoff, finish, dead letter: storage/job_store),
// and its last act is msg::AttemptEnded to its dispatcher. A retry waits in the database
// (next_attempt_at), so a crash loses nothing.
#pragma once

#include <caf/fwd.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "actors/delivery_admission.hpp"
#include "storage/job_store.hpp"

namespace unipay {

struct ActorContext;

// What a dispatcher needs to know about its kind of job.
struct JobKind {
  std::string kind;  // jobs.kind: "delivery" | "verify"
  DeliveryLimits limits;
  std::chrono::milliseconds lease_ms{30000};
  std::chrono::milliseconds poll_interval_ms{1000};  // how often due jobs are claimed
  size_t claim_batch = 100;
  std::chrono::seconds give_up_after_s{72 * 3600};  // jobs of an app paused this long are dead-lettered
  // Spawns the attempt actor of one claimed job (with a job), or of the bill's job leased to
  // this node right after a transition (without: msg::DeliverNow).
  std::function<caf::actor(caf::actor_system&, std::shared_ptr<const ActorContext>, std::string bill_id,
                           std::optional<storage::Job>)>
      spawn_attempt;
};

caf::actor spawn_job_dispatcher(caf::actor_system& system, std::shared_ptr<const ActorContext> context,
                                JobKind kind);

}  // namespace unipay
