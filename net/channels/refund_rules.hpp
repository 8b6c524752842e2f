// Which bills an admin refund may ask a provider about, and under which refund number
// (POST /v1/admin/bills/{id}/refund, net/handlers/admin_refund.cpp). Pure: tested alone.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/result.hpp"
#include "storage/bill.hpp"

namespace unipay::channels {

// The refund number unipay gives the provider for a bill's whole refund: the same for every
// request, so the provider's idempotency makes a retried refund the first one.
std::string refund_id_for(std::string_view bill_id);

// Why a bill of this state and channel cannot be refunded through unipay, if it cannot:
// conflict unless paid or delivered (an already refunded bill is answered before this);
// invalid_parameter when the channel has no refund API (the app stores refund by themselves).
std::optional<Error> refund_refusal(BillState state, std::string_view channel);

}  // namespace unipay::channels
