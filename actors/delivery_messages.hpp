// Messages of the delivery dispatcher and its attempt actors. Include only from actors/*.cpp.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "actors/delivery_admission.hpp"
#include "config/result.hpp"
#include "storage/job_store.hpp"

namespace unipay::msg {

// A bill actor committed `paid` with a delivery job leased to this node: attempt 1 now
// (or, when the app has no free slot, the job is released for the next claim).
struct DeliverNow {
  std::string bill_id;
  std::string app_id;
  std::optional<storage::Job> job;  // as the transition committed it (none: read it first)
};
// Periodic claim of due jobs (other nodes' expired leases, retries after a restart).
struct PollJobs {};
// A claim now: a retry's wait is over, a breaker's cool-down ended, or work was released.
struct ClaimWake {
  Millis at;
};
struct JobsClaimed {
  Result<std::vector<storage::Job>> jobs;
  size_t limit = 0;  // what was asked for: a full batch means more may be due
};
// Refused jobs are given back in one write per mailbox turn.
struct FlushReleases {};
// Released or expedited jobs are stored as due: claim.
struct JobsMadeDue {};
// An attempt actor's last word (sent by the actor itself, so the sender names it).
struct AttemptEnded {
  AttemptResult result = AttemptResult::no_attempt;
  std::optional<std::chrono::milliseconds> retry_in;  // the job is due again after this
};

}  // namespace unipay::msg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::DeliverNow)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::PollJobs)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::ClaimWake)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::JobsClaimed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::FlushReleases)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::JobsMadeDue)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::AttemptEnded)
