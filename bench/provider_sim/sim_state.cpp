#include "bench/provider_sim/sim_state.hpp"

#include <algorithm>
#include <random>

#include "net/crypto.hpp"

namespace unipay::sim {

std::string_view to_string(OrderState state) {
  switch (state) {
    case OrderState::pending:
      return "pending";
    case OrderState::paid:
      return "paid";
    case OrderState::closed:
      return "closed";
    case OrderState::refunded:
      return "refunded";
  }
  return "pending";
}

std::optional<OrderState> order_state_from(std::string_view text) {
  for (OrderState s : {OrderState::pending, OrderState::paid, OrderState::closed, OrderState::refunded}) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

int64_t Order::refunded_minor() const {
  int64_t total = 0;
  for (const auto& [no, refund] : refunds) total += refund.amount_minor;
  return total;
}

std::string random_digits(size_t count) {
  const std::string hex = crypto::random_hex(count);
  std::string digits;
  for (char c : hex) digits += static_cast<char>('0' + (c % 10));
  return digits.substr(0, count);
}

SimState::Made<AlipayMerchant> SimState::add_alipay_merchant() {
  // Keys are made outside the lock: generating one takes tens of milliseconds.
  auto app_key = crypto::RsaPrivateKey::generate(2048);
  AlipayMerchant merchant{"2021" + random_digits(12), "2088" + random_digits(12),
                          crypto::RsaPrivateKey::generate(2048), app_key.public_key()};
  std::lock_guard lock(mutex_);
  if (alipay_.size() + wechatpay_.size() >= kMaxMerchants) return std::nullopt;
  alipay_.emplace(merchant.app_id, merchant);
  return std::make_pair(std::move(merchant), std::move(app_key));
}

SimState::Made<WechatpayMerchant> SimState::add_wechatpay_merchant() {
  auto merchant_key = crypto::RsaPrivateKey::generate(2048);
  WechatpayMerchant merchant{"19" + random_digits(8),
                             "wx" + crypto::random_hex(8),
                             crypto::random_hex(16),
                             crypto::random_hex(20),
                             {"PUB_KEY_ID_0" + random_digits(27), crypto::RsaPrivateKey::generate(2048)},
                             merchant_key.public_key()};
  for (char& c : merchant.merchant_serial) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::lock_guard lock(mutex_);
  if (alipay_.size() + wechatpay_.size() >= kMaxMerchants) return std::nullopt;
  wechatpay_.emplace(merchant.mchid, merchant);
  return std::make_pair(std::move(merchant), std::move(merchant_key));
}

std::optional<StripeMerchant> SimState::add_stripe_merchant(std::string webhook_url) {
  StripeMerchant merchant{"acct_" + crypto::random_hex(8), "sk_test_" + crypto::random_hex(12),
                          "whsec_" + crypto::random_hex(16), std::move(webhook_url)};
  std::lock_guard lock(mutex_);
  if (alipay_.size() + wechatpay_.size() + stripe_.size() >= kMaxMerchants) return std::nullopt;
  stripe_.emplace(merchant.account_id, merchant);
  return merchant;
}

std::optional<StripeMerchant> SimState::stripe_by_account(std::string_view account_id) const {
  std::lock_guard lock(mutex_);
  auto it = stripe_.find(account_id);
  if (it == stripe_.end()) return std::nullopt;
  return it->second;
}

std::optional<StripeMerchant> SimState::stripe_by_secret_key(std::string_view secret_key) const {
  std::lock_guard lock(mutex_);
  for (const auto& [account_id, merchant] : stripe_) {
    if (crypto::constant_time_equal(merchant.secret_key, secret_key)) return merchant;
  }
  return std::nullopt;
}

std::optional<AlipayMerchant> SimState::alipay_by_app_id(std::string_view app_id) const {
  std::lock_guard lock(mutex_);
  auto it = alipay_.find(app_id);
  if (it == alipay_.end()) return std::nullopt;
  return it->second;
}

std::optional<AlipayMerchant> SimState::alipay_by_seller_id(std::string_view seller_id) const {
  std::lock_guard lock(mutex_);
  for (const auto& [app_id, merchant] : alipay_) {
    if (merchant.seller_id == seller_id) return merchant;
  }
  return std::nullopt;
}

std::optional<WechatpayMerchant> SimState::wechatpay_by_mchid(std::string_view mchid) const {
  std::lock_guard lock(mutex_);
  auto it = wechatpay_.find(mchid);
  if (it == wechatpay_.end()) return std::nullopt;
  return it->second;
}

std::string SimState::key(std::string_view channel, std::string_view merchant, std::string_view bill_id) {
  return std::string(channel) + "/" + std::string(merchant) + "/" + std::string(bill_id);
}

std::optional<Order> SimState::order(std::string_view channel, std::string_view merchant,
                                     std::string_view bill_id) const {
  std::lock_guard lock(mutex_);
  auto it = orders_.find(key(channel, merchant, bill_id));
  if (it == orders_.end()) return std::nullopt;
  return it->second;
}

bool SimState::put(const Order& order) {
  std::lock_guard lock(mutex_);
  const std::string k = key(order.channel, order.merchant, order.bill_id);
  auto it = orders_.find(k);
  if (it != orders_.end()) {
    it->second = order;
    index_refunds(k, order);
    return true;
  }
  if (orders_.size() >= kMaxOrders) return false;
  orders_.emplace(k, order);
  index_refunds(k, order);
  return true;
}

std::optional<Order> SimState::modify(std::string_view channel, std::string_view merchant,
                                      std::string_view bill_id, const std::function<void(Order&)>& change) {
  std::lock_guard lock(mutex_);
  auto it = orders_.find(key(channel, merchant, bill_id));
  if (it == orders_.end()) return std::nullopt;
  change(it->second);
  index_refunds(it->first, it->second);
  return it->second;
}

// Refunds are never removed from an order, so the index only grows with them (bounded by
// the orders' own limit times the few refunds an order may have).
void SimState::index_refunds(const std::string& order_key, const Order& order) {
  for (const auto& [no, refund] : order.refunds)
    refund_orders_.insert_or_assign(key(order.channel, order.merchant, no), order_key);
}

std::optional<Order> SimState::order_by_refund(std::string_view channel, std::string_view merchant,
                                               std::string_view refund_no) const {
  std::lock_guard lock(mutex_);
  auto ref = refund_orders_.find(key(channel, merchant, refund_no));
  if (ref == refund_orders_.end()) return std::nullopt;
  auto it = orders_.find(ref->second);
  if (it == orders_.end()) return std::nullopt;
  return it->second;
}

void SimState::start_outage(int64_t requests) {
  std::lock_guard lock(mutex_);
  outage_left_ = std::clamp<int64_t>(requests, 0, kMaxOutage);
}

bool SimState::take_outage() {
  std::lock_guard lock(mutex_);
  if (outage_left_ == 0) return false;
  --outage_left_;
  return true;
}

}  // namespace unipay::sim
