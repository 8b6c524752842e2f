// Process counters exposed at GET /metrics in the Prometheus text format.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/result.hpp"
#include "storage/database.hpp"

namespace unipay {

class ProviderBillQuerier;
class RefusedCallbackAudits;

struct Metrics {
  std::array<std::atomic<uint64_t>, 6> responses_by_class{};  // index: status / 100 (1xx..5xx)
  std::atomic<uint64_t> bills_created{0};
  std::atomic<uint64_t> callbacks_accepted{0};
  std::atomic<uint64_t> callbacks_ignored{0};
  std::atomic<uint64_t> callbacks_repeated{0};  // redeliveries answered before: no provider call (Pub/Sub)
  std::atomic<uint64_t> callbacks_refused{0};
  std::atomic<uint64_t> callback_alerts{0};  // mismatched money or double charge
  std::atomic<uint64_t> longpolls_open{0};
  std::atomic<uint64_t> longpolls_abandoned{0};           // the client closed before the answer
  std::atomic<uint64_t> app_reads_refused{0};             // uncached app lookups over a source's budget
  std::atomic<uint64_t> callback_sources_shut_out{0};     // times a source was shut out (net/suspect_sources)
  std::atomic<uint64_t> callbacks_refused_shut_out{0};    // callbacks refused unread from shut-out sources
  const RefusedCallbackAudits* refused_audits = nullptr;  // its counters are shown when set
  std::atomic<uint64_t> admission_refused{0};             // new work answered 503 busy by admission control
  const ProviderBillQuerier* verify_queries = nullptr;    // the janitor's queries are shown when set

  // Refused callbacks by channel and reason (the refusal's error code). The channel names
  // are set once before serving (the channel registry's); others are not counted here.
  static constexpr size_t kMaxCallbackChannels = 16;
  static constexpr size_t kRefusalReasons = static_cast<size_t>(Errc::storage_write) + 1;
  std::vector<std::string> callback_channels;
  std::array<std::array<std::atomic<uint64_t>, kRefusalReasons>, kMaxCallbackChannels> callbacks_refused_by{};
  void count_callback_refusal(std::string_view channel, Errc reason) {
    callbacks_refused.fetch_add(1, std::memory_order_relaxed);
    for (size_t i = 0; i < callback_channels.size() && i < kMaxCallbackChannels; ++i) {
      if (callback_channels[i] == channel)
        callbacks_refused_by[i][static_cast<size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
    }
  }

  void count_response(int status) {
    size_t index = static_cast<size_t>(status / 100);
    if (index < responses_by_class.size()) responses_by_class[index].fetch_add(1, std::memory_order_relaxed);
  }
};

std::string render_metrics(const Metrics& metrics, const storage::DatabaseStats& db);

}  // namespace unipay
