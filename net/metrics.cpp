#include "net/metrics.hpp"

#include <fmt/format.h>

#include "actors/callback_audits.hpp"
#include "net/allocator_stats.hpp"
#include "net/http_errors.hpp"
#include "net/provider_bill_querier.hpp"

namespace unipay {
namespace {

void counter(std::string& out, std::string_view name, std::string_view help, uint64_t value,
             std::string_view type = "counter") {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
}

void refused_audit_counters(std::string& out, const RefusedCallbackAudits& audits) {
  out +=
      "# HELP unipay_callback_audits_dropped_total audit rows of unverified callbacks not written, by "
      "reason\n";
  out += "# TYPE unipay_callback_audits_dropped_total counter\n";
  for (size_t i = 0; i < kAuditDropReasons; ++i) {
    const auto reason = static_cast<AuditDrop>(i);
    out += fmt::format("unipay_callback_audits_dropped_total{{reason=\"{}\"}} {}\n", audit_drop_name(reason),
                       audits.dropped(reason));
  }
  counter(out, "unipay_callback_audits_written_total",
          "audit rows of unverified callbacks written in batches", audits.written());
}

void refused_callback_counters(std::string& out, const Metrics& m) {
  out += "# HELP unipay_callbacks_refused_by_reason_total callbacks refused, by channel and reason\n";
  out += "# TYPE unipay_callbacks_refused_by_reason_total counter\n";
  for (size_t c = 0; c < m.callback_channels.size() && c < Metrics::kMaxCallbackChannels; ++c) {
    for (size_t r = 0; r < Metrics::kRefusalReasons; ++r) {
      uint64_t n = m.callbacks_refused_by[c][r].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += fmt::format("unipay_callbacks_refused_by_reason_total{{channel=\"{}\",reason=\"{}\"}} {}\n",
                         m.callback_channels[c], http::error_shape(static_cast<Errc>(r)).code, n);
    }
  }
}

// The janitor: provider queries of verify jobs, by channel and what the provider said.
void verify_query_counters(std::string& out, const ProviderBillQuerier& querier) {
  out +=
      "# HELP unipay_verify_queries_total provider queries of verify jobs (the janitor), by channel and "
      "outcome\n";
  out += "# TYPE unipay_verify_queries_total counter\n";
  for (const auto& [channel, counts] : querier.counts()) {
    for (size_t i = 0; i < kQueryOutcomes; ++i) {
      out += fmt::format("unipay_verify_queries_total{{channel=\"{}\",outcome=\"{}\"}} {}\n", channel,
                         query_outcome_name(static_cast<QueryOutcome>(i)), counts[i].load());
    }
  }
}

// The allocator's view of the heap (jemalloc only): RSS minus resident is code, stacks and
// library pages; resident minus allocated is what the allocator keeps for reuse.
void allocator_gauges(std::string& out) {
  out += fmt::format(
      "# HELP unipay_allocator_info the malloc unipayd runs on\n# TYPE unipay_allocator_info gauge\n"
      "unipay_allocator_info{{allocator=\"{}\"}} 1\n",
      allocator_name());
  const auto stats = read_allocator_stats();
  if (!stats) return;
  counter(out, "unipay_allocator_allocated_bytes", "bytes in live allocations", stats->allocated_bytes,
          "gauge");
  counter(out, "unipay_allocator_active_bytes", "bytes in pages that hold live allocations",
          stats->active_bytes, "gauge");
  counter(out, "unipay_allocator_metadata_bytes", "the allocator's own bookkeeping", stats->metadata_bytes,
          "gauge");
  counter(out, "unipay_allocator_resident_bytes", "the allocator's bytes in physical memory",
          stats->resident_bytes, "gauge");
  counter(out, "unipay_allocator_retained_bytes", "bytes kept mapped for reuse, not in physical memory",
          stats->retained_bytes, "gauge");
}

}  // namespace

std::string render_metrics(const Metrics& m, const storage::DatabaseStats& db) {
  std::string out;
  out += "# HELP unipay_http_responses_total HTTP responses by status class\n";
  out += "# TYPE unipay_http_responses_total counter\n";
  for (size_t i = 1; i < m.responses_by_class.size(); ++i) {
    out +=
        fmt::format("unipay_http_responses_total{{class=\"{}xx\"}} {}\n", i, m.responses_by_class[i].load());
  }
  counter(out, "unipay_bills_created_total", "bills created", m.bills_created.load());
  counter(out, "unipay_callbacks_accepted_total", "provider callbacks that changed a bill",
          m.callbacks_accepted.load());
  counter(out, "unipay_callbacks_ignored_total", "duplicate or stale callbacks acknowledged",
          m.callbacks_ignored.load());
  counter(out, "unipay_callbacks_repeated_total",
          "redelivered callbacks (Pub/Sub messageId) answered before, acknowledged without a provider call",
          m.callbacks_repeated.load());
  counter(out, "unipay_callbacks_refused_total", "callbacks refused", m.callbacks_refused.load());
  refused_callback_counters(out, m);
  counter(out, "unipay_callback_alerts_total", "callbacks with mismatched money or a second trade",
          m.callback_alerts.load());
  counter(out, "unipay_longpolls_open", "long polls waiting", m.longpolls_open.load(), "gauge");
  counter(out, "unipay_longpolls_abandoned_total", "long polls whose client closed before the answer",
          m.longpolls_abandoned.load());
  counter(out, "unipay_app_reads_refused_total", "lookups of uncached apps refused busy (per-address budget)",
          m.app_reads_refused.load());
  counter(out, "unipay_callback_sources_shut_out_total",
          "remote addresses shut out for sending only refused callbacks", m.callback_sources_shut_out.load());
  counter(out, "unipay_callbacks_refused_shut_out_total",
          "callbacks refused unread (429) because their address was shut out",
          m.callbacks_refused_shut_out.load());
  if (m.refused_audits) refused_audit_counters(out, *m.refused_audits);
  if (m.verify_queries) verify_query_counters(out, *m.verify_queries);
  counter(out, "unipay_db_write_ops_total", "write ops committed or failed", db.write_ops);
  counter(out, "unipay_db_write_batches_total", "group-commit transactions", db.write_batches);
  counter(out, "unipay_db_write_transactions_total",
          "write transactions, the parts of split batches included", db.write_transactions);
  counter(out, "unipay_db_write_errors_total", "write ops that failed", db.write_errors);
  counter(out, "unipay_db_reads_total", "reads", db.reads);
  counter(out, "unipay_db_write_queue_depth", "write ops waiting", db.write_queue_depth, "gauge");
  counter(out, "unipay_db_read_queue_depth", "reads waiting", db.read_queue_depth, "gauge");
  counter(out, "unipay_db_write_queue_delay_ms", "how long the oldest queued write has waited",
          static_cast<uint64_t>(db.write_queue_delay_ms), "gauge");
  counter(out, "unipay_db_read_queue_delay_ms", "how long the oldest queued read has waited",
          static_cast<uint64_t>(db.read_queue_delay_ms), "gauge");
  counter(out, "unipay_db_write_refused_total",
          "writes refused: queue full, or a creation that waited too long", db.write_refused);
  counter(out, "unipay_db_write_expired_total",
          "bill creations refused after waiting database.new_work_max_wait_ms in the write queue",
          db.write_expired);
  counter(out, "unipay_admission_refused_total", "new work refused with 503 busy by admission control",
          m.admission_refused.load());
  allocator_gauges(out);
  return out;
}

}  // namespace unipay
