// What handlers hand the channel adapters (net/channels/channel_adapter.hpp): the bill as an
// adapter may see it, the callback URL registered with providers, the clock they sign with.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "net/channels/channel_adapter.hpp"
#include "storage/bill.hpp"

namespace unipay {

channels::BillView bill_view(const Bill& bill);

// <public_base_url>/v1/callbacks/<app_id>/<channel> (DESIGN.md §3), without a doubled slash.
std::string callback_url(std::string_view public_base_url, std::string_view app_id, std::string_view channel);

int64_t unix_now_s();

}  // namespace unipay
