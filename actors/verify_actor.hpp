// The janitor: verify jobs (kind 'verify' in the jobs table) re-query the payment provider
// about bills of channels with a query API (DESIGN.md §4), run by the shared job machinery
// (actors/job_dispatcher.hpp). One verify actor makes one query of one claimed job, acts on
// the answer (actors/verify_rules.hpp) and ends:
//  - paid: the bill actor gets provider_success exactly as from a callback (same message,
//    audit row with detail "query: ..."); the transition deletes the job and, as always,
//    creates the delivery job;
//  - failed / closed: provider_failure through the bill actor's rules;
//  - pending: the job is rescheduled (backoff; always a final query at expiry, after which
//    the job is deleted and the expiry sweep may close the bill);
//  - unreachable: retried with backoff, dead-lettered after channels.verify_max_attempts.
// A bill already settled drops its job. Every job write names the lease holder.
#pragma once

#include <caf/fwd.hpp>
#include <memory>
#include <optional>
#include <string>

#include "storage/job_store.hpp"

namespace unipay {

struct ActorContext;

// One query of a claimed verify job; reports to ActorContext::verify_dispatcher.
caf::actor spawn_verify_attempt(caf::actor_system& system, std::shared_ptr<const ActorContext> context,
                                std::string bill_id, std::optional<storage::Job> job);

// The job dispatcher of verify jobs (channels.verify_max_concurrent queries at once).
caf::actor spawn_verify_dispatcher(caf::actor_system& system, std::shared_ptr<const ActorContext> context);

}  // namespace unipay
