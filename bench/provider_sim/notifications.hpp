// Notifications signed like the providers send them, for an order with a chosen outcome and
// optionally one tampered field:
//  - signature: a field changed after signing (the signature no longer covers the body);
//  - amount, currency, merchant, app: the field differs from the order, but the
//    notification is validly signed (a provider statement that does not match the bill);
//  - stale_timestamp (wechatpay): signed with a timestamp 600 s old;
//  - unknown_serial (wechatpay): signed under a serial the merchant's credentials lack.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/provider_sim/sim_state.hpp"
#include "config/result.hpp"
#include "net/http_types.hpp"

namespace unipay::sim {

enum class Tamper { none, signature, amount, currency, merchant, app, stale_timestamp, unknown_serial };
std::optional<Tamper> tamper_from(std::string_view text);

// alipay: paid (TRADE_SUCCESS), finished (TRADE_FINISHED), closed (TRADE_CLOSED), refunded
// (refund_fee, out_biz_no); wechatpay: paid (TRANSACTION.SUCCESS), refunded (REFUND.SUCCESS).
struct NotifyInput {
  Order order;  // as the provider states it (amount, currency, trade_no)
  std::string outcome;
  Tamper tamper = Tamper::none;
};

inline constexpr int64_t kStaleS = 600;  // stale_timestamp: twice the providers' 300 s window

// The order as the notification states it after the field-level tampering that stays
// validly signed (amount + 1, the other currency).
Order stated_order(const NotifyInput& input);

struct Notification {
  std::vector<http::Header> headers;  // content-type first; names lowercase
  std::string body;
};

// invalid_parameter for an outcome or tampering the channel does not have.
Result<Notification> alipay_notification(const AlipayMerchant& merchant, const NotifyInput& input,
                                         int64_t now_s);
Result<Notification> wechatpay_notification(const WechatpayMerchant& merchant, const NotifyInput& input,
                                            int64_t now_s);

}  // namespace unipay::sim
