// Alipay's open API gateway as the simulator serves it: a form POST (common parameters in
// the query string or the body, as the official SDKs send them) signed RSA2 with the
// merchant's app key, answered {"<method>_response": {...}, "sign": "..."} signed with
// "Alipay's" key. Methods: alipay.trade.query, alipay.trade.refund.
#pragma once

#include <cstdint>

#include "bench/provider_sim/sim_state.hpp"
#include "config/result.hpp"
#include "net/http_types.hpp"

namespace unipay::sim {

http::Response alipay_gateway(SimState& state, const http::Request& request, int64_t now_s);

// The order an app-pay order string describes (what Alipay's client SDK submits when the
// payer pays): its signature is checked with the merchant's app key. Used by the control API.
Result<Order> alipay_order_from_order_string(const SimState& state, std::string_view order_string,
                                             int64_t now_s);

// A trade number like Alipay's: the Beijing date, then digits.
std::string alipay_trade_no(int64_t now_s);

}  // namespace unipay::sim
