#include "net/app_lookup_budget.hpp"

#include "actors/token_buckets.hpp"
#include "storage/app_reads.hpp"

namespace unipay {
namespace {

TokenBuckets& lookup_buckets(const config::CallbacksConfig& c) {
  // The settings are fixed for the life of the process: the first call's are everyone's.
  thread_local TokenBuckets buckets(
      {c.app_reads_per_source_per_s, c.app_reads_per_source_per_s, c.refused_audit_max_sources});
  return buckets;
}

}  // namespace

bool admit_app_lookup(const CallPtr& call, const std::string& app_id) {
  // Cached either way, or an app that existed a moment ago: not a made-up id.
  if (storage::cached_unknown_app(app_id) || storage::recently_known_app(app_id)) return true;
  if (lookup_buckets(call->api.config.callbacks)
          .take(call->request.remote_address, TokenBuckets::Clock::now()))
    return true;
  call->api.metrics->app_reads_refused.fetch_add(1, std::memory_order_relaxed);
  call->fail(Errc::busy, "too many lookups of unknown apps from this address");
  return false;
}

}  // namespace unipay
