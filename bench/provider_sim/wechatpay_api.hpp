// WeChat Pay API v3 as the simulator serves it: every request must carry a valid
// WECHATPAY2-SHA256-RSA2048 Authorization of a simulated merchant; every answer (errors
// too) is signed with the merchant's platform key (Wechatpay-Timestamp/-Nonce/-Serial/
// -Signature). Routes: POST /v3/pay/transactions/app, GET /v3/pay/transactions/out-trade-no/
// {out_trade_no}?mchid=, POST /v3/refund/domestic/refunds.
#pragma once

#include <cstdint>

#include "bench/provider_sim/sim_state.hpp"
#include "net/http_types.hpp"

namespace unipay::sim {

http::Response wechatpay_api(SimState& state, const http::Request& request, int64_t now_s);

// The transaction object of an order, as the query answers it and TRANSACTION.SUCCESS
// notifications carry it (encrypted).
std::string wechatpay_transaction_json(const Order& order, const WechatpayMerchant& merchant);

}  // namespace unipay::sim
