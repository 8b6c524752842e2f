// What a verified provider statement asks of its bill: the one path from a channel adapter's
// ProviderResult to the bill's actor, shared by provider callbacks and client-submitted
// receipts (POST /v1/bills/{id}/verify), so both are decided by the same rules.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "actors/bill_rules.hpp"
#include "net/channels/channel_adapter.hpp"

namespace unipay::handlers {

// The event for `result` (paid → provider_success, failed/closed → provider_failure,
// refunded → refund), naming the app and channel it was verified for; nullopt when it asks
// nothing of the bill (pending, unrelated).
std::optional<BillEvent> provider_event(const channels::ProviderResult& result, const std::string& app_id,
                                        std::string_view channel);

}  // namespace unipay::handlers
