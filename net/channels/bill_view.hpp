// A bill as the channel adapters see it, and the callback URL providers are given: what bill
// creation (and the verify jobs) hand an adapter.
#pragma once

#include <string>
#include <string_view>

#include "net/channels/channel_adapter.hpp"
#include "storage/bill.hpp"

namespace unipay::channels {

BillView bill_view(const Bill& bill);

// <public_base_url>/v1/callbacks/<app_id>/<channel> (DESIGN.md §3), without a doubled slash.
std::string callback_url(std::string_view public_base_url, std::string_view app_id, std::string_view channel);

}  // namespace unipay::channels
