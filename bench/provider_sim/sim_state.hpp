// The provider simulator's books: merchants (with the keys made for them at run time) and
// orders by channel, merchant and out_trade_no (the unipay bill id). Shared by the io
// threads of the simulator; the mutex guards only these maps and is never held while
// signing or sending.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "net/channels/wechatpay_provider.hpp"
#include "net/crypto_rsa.hpp"

namespace unipay::sim {

struct AlipayMerchant {
  std::string app_id;                   // the open-platform app
  std::string seller_id;                // the partner id, 2088...
  crypto::RsaPrivateKey alipay_key;     // "Alipay's" key: signs answers and notifications
  crypto::RsaPublicKey app_public_key;  // verifies the merchant's signed requests
};

struct WechatpayMerchant {
  std::string mchid;
  std::string appid;
  std::string apiv3_key;  // 32 bytes: AES-256-GCM of notification resources
  std::string merchant_serial;
  channels::wechatpay::PlatformSigner platform;  // the platform key and its serial
  crypto::RsaPublicKey merchant_public_key;      // verifies Authorization headers
};

struct StripeMerchant {
  std::string account_id;      // acct_...: names the merchant in the control API
  std::string secret_key;      // sk_test_...: the Bearer key of API calls
  std::string webhook_secret;  // whsec_...: signs the webhook events
  std::string webhook_url;     // the endpoint registered "in the Dashboard" ("" : none)
};

enum class OrderState { pending, paid, closed, refunded };
std::string_view to_string(OrderState state);
std::optional<OrderState> order_state_from(std::string_view text);

struct Refund {
  std::string refund_no;  // the merchant's out_request_no / out_refund_no
  std::string refund_id;  // the provider's
  int64_t amount_minor = 0;
  int64_t created_s = 0;
  std::string notify_url;  // wechatpay: where REFUND.SUCCESS goes ("": the order's notify_url)
};

struct Order {
  std::string channel;   // "alipay" or "wechatpay"
  std::string merchant;  // seller_id / mchid
  std::string bill_id;   // out_trade_no
  std::string trade_no;  // the provider's transaction number
  std::string subject;
  int64_t amount_minor = 0;
  std::string currency = "CNY";
  std::string notify_url;
  std::string prepay_id;        // wechatpay; stripe: the PaymentIntent's client_secret
  std::string idempotency_key;  // stripe: the Idempotency-Key the PaymentIntent was made with
  OrderState state = OrderState::pending;
  int64_t paid_at_s = 0;
  std::map<std::string, Refund> refunds;  // by refund_no

  int64_t refunded_minor() const;
};

class SimState {
 public:
  static constexpr size_t kMaxMerchants = 10000;  // beyond: refused (a runaway test)
  static constexpr size_t kMaxOrders = 1000000;

  // Makes a merchant with fresh keys; nullopt when kMaxMerchants exist. The merchant's own
  // private key (app key / merchant API key) goes with it, to hand to unipay once; the
  // simulator keeps only its public half.
  template <class Merchant>
  using Made = std::optional<std::pair<Merchant, crypto::RsaPrivateKey>>;
  Made<AlipayMerchant> add_alipay_merchant();
  Made<WechatpayMerchant> add_wechatpay_merchant();
  std::optional<AlipayMerchant> alipay_by_app_id(std::string_view app_id) const;
  std::optional<AlipayMerchant> alipay_by_seller_id(std::string_view seller_id) const;
  std::optional<WechatpayMerchant> wechatpay_by_mchid(std::string_view mchid) const;
  std::optional<StripeMerchant> add_stripe_merchant(std::string webhook_url);
  std::optional<StripeMerchant> stripe_by_account(std::string_view account_id) const;
  std::optional<StripeMerchant> stripe_by_secret_key(std::string_view secret_key) const;

  std::optional<Order> order(std::string_view channel, std::string_view merchant,
                             std::string_view bill_id) const;
  // Stores (creates or replaces) the order; false when kMaxOrders exist and it is new.
  bool put(const Order& order);
  // Changes an order under the lock (read-modify-write without a lost update); the order
  // as changed, or nullopt when there is none. `change` must be quick (no signing).
  std::optional<Order> modify(std::string_view channel, std::string_view merchant, std::string_view bill_id,
                              const std::function<void(Order&)>& change);
  // The order holding the merchant's refund `refund_no` (WeChat Pay's refund query names only
  // out_refund_no), or nullopt.
  std::optional<Order> order_by_refund(std::string_view channel, std::string_view merchant,
                                       std::string_view refund_no) const;

  // An outage of the provider APIs (not the control API): the next `requests` calls are
  // answered 503 (a provider that cannot be reached, for retry tests). At most kMaxOutage.
  static constexpr int64_t kMaxOutage = 1000000;
  void start_outage(int64_t requests);
  // True (and one fewer left) while an outage lasts.
  bool take_outage();

 private:
  static std::string key(std::string_view channel, std::string_view merchant, std::string_view bill_id);
  mutable std::mutex mutex_;
  std::map<std::string, AlipayMerchant, std::less<>> alipay_;        // by app_id
  std::map<std::string, WechatpayMerchant, std::less<>> wechatpay_;  // by mchid
  std::map<std::string, StripeMerchant, std::less<>> stripe_;        // by account_id
  std::map<std::string, Order, std::less<>> orders_;
  std::map<std::string, std::string, std::less<>> refund_orders_;        // refund key → order key
  void index_refunds(const std::string& order_key, const Order& order);  // under mutex_
  int64_t outage_left_ = 0;
};

// Digits for ids: "2088" + 12 digits, transaction numbers, ...
std::string random_digits(size_t count);

}  // namespace unipay::sim
