// WeChat Pay API v3 as the simulator serves it: every request must carry a valid
// WECHATPAY2-SHA256-RSA2048 Authorization of a simulated merchant; every answer (errors
// too) is signed with the merchant's platform key (Wechatpay-Timestamp/-Nonce/-Serial/
// -Signature). Routes: POST /v3/pay/transactions/app, GET /v3/pay/transactions/out-trade-no/
// {out_trade_no}?mchid=, POST /v3/refund/domestic/refunds (answered PROCESSING, then the
// refund succeeds and REFUND.SUCCESS is notified), GET /v3/refund/domestic/refunds/
// {out_refund_no}.
#pragma once

#include <cstdint>
#include <vector>

#include "bench/provider_sim/notifications.hpp"
#include "bench/provider_sim/sim_state.hpp"
#include "net/http_types.hpp"

namespace unipay::sim {

// A notification a call makes WeChat Pay send after it has answered (a refund's result).
struct LaterNotification {
  std::string url;
  Notification notification;
};

// The answer to one API call; `later` receives the notifications to send once it is answered.
http::Response wechatpay_api(SimState& state, const http::Request& request, int64_t now_s,
                             std::vector<LaterNotification>& later);

// The transaction object of an order, as the query answers it and TRANSACTION.SUCCESS
// notifications carry it (encrypted).
std::string wechatpay_transaction_json(const Order& order, const WechatpayMerchant& merchant);

}  // namespace unipay::sim
