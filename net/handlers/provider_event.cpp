#include "net/handlers/provider_event.hpp"

#include <spdlog/spdlog.h>

#include "net/metrics.hpp"

namespace unipay::handlers {

using channels::ProviderStatus;

std::optional<BillEvent> provider_event(const channels::ProviderResult& result, const std::string& app_id,
                                        std::string_view channel) {
  BillEvent event;
  switch (result.status) {
    case ProviderStatus::paid:
      event.kind = BillEventKind::provider_success;
      break;
    case ProviderStatus::failed:
    case ProviderStatus::closed:  // a failure unless the bill is paid (the rules ignore it then)
      event.kind = BillEventKind::provider_failure;
      break;
    case ProviderStatus::refunded:
      event.kind = BillEventKind::refund;
      break;
    case ProviderStatus::pending:
    case ProviderStatus::unrelated:
      return std::nullopt;
  }
  event.app_id = app_id;
  event.channel = std::string(channel);
  event.trade_no = result.trade_no;
  event.amount_minor = result.amount_minor;
  event.currency = result.currency;
  event.store_item_id = result.item_id;
  event.refund_amount_minor = result.refund_amount_minor;
  return event;
}

void alert_if_conflict(const CallPtr& call, std::string_view how, std::string_view channel,
                       std::string_view app_id, std::string_view bill_id, const Error& error) {
  if (error.code != Errc::conflict) return;
  call->api.metrics->callback_alerts.fetch_add(1, std::memory_order_relaxed);
  spdlog::error("ALERT {} {} refused for app {} bill {}: {}", channel, how, app_id,
                bill_id.empty() ? "-" : bill_id, error.message);
}

}  // namespace unipay::handlers
