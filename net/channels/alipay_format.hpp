// Alipay's signing rules (open API 2.0, RSA2), shared by the adapter and the provider-side
// code of the simulators so both ends use one definition:
//  - notifications: drop `sign` and `sign_type` and empty values, sort by key (byte order),
//    join decoded k=v with '&'; a verifier also tries the string with sign_type kept (as the
//    official SDKs do: some notification types are signed with it);
//  - requests: the same with sign_type kept (only `sign` dropped);
//  - gateway responses: the signature covers the raw JSON text of "<method>_response".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/channels/form.hpp"

namespace unipay::channels::alipay {

inline constexpr std::string_view kSignType = "RSA2";
inline constexpr size_t kMaxFormFields = 128;  // a notification has about 30

// The sorted k=v&... text; keep_sign_type chooses between the two canonical forms.
std::string sign_content(const form::Fields& fields, bool keep_sign_type);

// "yyyy-MM-dd HH:mm:ss" in Beijing time (UTC+8), the gateway's `timestamp` format.
std::string beijing_time(int64_t unix_s);

// "alipay.trade.query" → "alipay_trade_query_response".
std::string response_key(std::string_view method);

// The exact text of the JSON value of top-level member `key` in an object text that
// json::parse accepted (so the scan needs no error handling beyond bounds). nullopt if absent.
std::optional<std::string_view> raw_member(std::string_view object_text, std::string_view key);

}  // namespace unipay::channels::alipay
