// The bill a verified provider event belongs to when the event names no bill id but only the
// provider's trade number (a Stripe Dashboard refund of a charge without metadata.bill_id, a
// Google voided purchase naming only its orderId). Any adapter gets this by leaving
// ProviderResult::bill_id empty and setting trade_no: the callback handler then finds the
// bill here and hands the event to its actor exactly as when the id was named.
#pragma once

#include <functional>
#include <string>

#include "net/call.hpp"
#include "net/channels/channel_adapter.hpp"

namespace unipay::handlers {

// True when `result` must be looked up by its trade number (no bill id, a trade number).
bool names_only_trade(const channels::ProviderResult& result);

// Looks up the app's bill of `channel` holding `trade_no` through a database reader (never a
// blocking call on this thread) and calls `next` on an io thread with its bill id, or
// not_found when no bill of this app and channel stored that trade number (the provider
// retries; the bill may not be paid yet), or the read's error (busy, storage: retried too).
void find_bill_by_trade(const CallPtr& call, const std::string& app_id, const std::string& channel,
                        const std::string& trade_no, std::function<void(Result<std::string>)> next);

}  // namespace unipay::handlers
