// What a verified provider statement asks of its bill: the one path from a channel adapter's
// ProviderResult to the bill's actor, shared by provider callbacks and client-submitted
// receipts (POST /v1/bills/{id}/verify), so both are decided by the same rules.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "actors/bill_rules.hpp"
#include "net/call.hpp"
#include "net/channels/channel_adapter.hpp"

namespace unipay::handlers {

// The event for `result` (paid → provider_success, failed/closed → provider_failure,
// refunded → refund), naming the app and channel it was verified for; nullopt when it asks
// nothing of the bill (pending, unrelated).
std::optional<BillEvent> provider_event(const channels::ProviderResult& result, const std::string& app_id,
                                        std::string_view channel);

// A provider statement refused as a conflict (another merchant, app, amount, item, a second
// trade: money that does not match, DESIGN.md §2): logged as ALERT and counted in
// unipay_callback_alerts_total, since someone must look. `how`: "callback" or "receipt".
void alert_if_conflict(const CallPtr& call, std::string_view how, std::string_view channel,
                       std::string_view app_id, std::string_view bill_id, const Error& error);

}  // namespace unipay::handlers
