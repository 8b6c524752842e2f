// WeChat Pay API v3 message formats, shared by the adapter and the provider-side code of the
// simulators (wechatpay-go core/auth, the API v3 signing guide):
//  - callbacks and API answers: Wechatpay-Timestamp/-Nonce/-Serial/-Signature headers, the
//    signature RSA-SHA256 over "timestamp\nnonce\nbody\n" with the platform key `serial`;
//  - merchant requests: Authorization "WECHATPAY2-SHA256-RSA2048 mchid=...,nonce_str=...,
//    timestamp=...,serial_no=...,signature=..." over "METHOD\npath?query\ntimestamp\nnonce\nbody\n";
//  - the app-pay client sign over "appid\ntimestamp\nnoncestr\nprepayid\n".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/result.hpp"

namespace unipay::channels::wechatpay {

inline constexpr std::string_view kTimestampHeader = "wechatpay-timestamp";
inline constexpr std::string_view kNonceHeader = "wechatpay-nonce";
inline constexpr std::string_view kSerialHeader = "wechatpay-serial";
inline constexpr std::string_view kSignatureHeader = "wechatpay-signature";
inline constexpr std::string_view kAuthorizationScheme = "WECHATPAY2-SHA256-RSA2048";
inline constexpr int64_t kTimestampWindowS = 300;  // callbacks and answers further off are refused

std::string signed_message(std::string_view timestamp, std::string_view nonce, std::string_view body);
std::string request_message(std::string_view method, std::string_view path_with_query,
                            std::string_view timestamp, std::string_view nonce, std::string_view body);
std::string app_pay_message(std::string_view appid, std::string_view timestamp, std::string_view noncestr,
                            std::string_view prepayid);

struct Authorization {
  std::string mchid;
  std::string nonce_str;
  std::string timestamp;
  std::string serial_no;
  std::string signature;  // base64
};
std::string format_authorization(const Authorization& authorization);
// unauthorized when the scheme or any of the five fields is missing or malformed.
Result<Authorization> parse_authorization(std::string_view header);

// The path (and query) part of an absolute URL: "https://h:1/p?q" → "/p?q", "https://h" → "".
std::string_view url_path(std::string_view url);

}  // namespace unipay::channels::wechatpay
