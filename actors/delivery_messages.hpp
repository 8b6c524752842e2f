// Messages of the delivery dispatcher and its retry actors. Include only from actors/*.cpp.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <string>
#include <vector>

#include "config/result.hpp"
#include "storage/job_store.hpp"

namespace unipay::msg {

// A bill actor committed `paid` with a delivery job leased to this node: attempt 1 now.
struct DeliverNow {
  std::string bill_id;
};
// Periodic claim of due jobs (other nodes' expired leases, retries after a restart).
struct PollJobs {};
struct JobsClaimed {
  Result<std::vector<storage::Job>> jobs;
};

}  // namespace unipay::msg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::DeliverNow)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::PollJobs)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::JobsClaimed)
