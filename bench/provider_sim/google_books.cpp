#include "bench/provider_sim/google_books.hpp"

#include "net/crypto.hpp"

namespace unipay::sim {

GoogleBooks::GoogleBooks()
    : cert_key_(crypto::RsaPrivateKey::generate()),
      cert_kid_(crypto::random_hex(20)),
      stranger_key_(crypto::RsaPrivateKey::generate()) {}

bool GoogleBooks::add_account(const GoogleServiceAccount& account) {
  std::lock_guard lock(mutex_);
  if (accounts_.size() >= kMaxAccounts) return false;
  accounts_.insert_or_assign(account.client_email, account);
  return true;
}

std::optional<GoogleServiceAccount> GoogleBooks::account(std::string_view client_email) const {
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(client_email);
  if (it == accounts_.end()) return std::nullopt;
  return it->second;
}

void GoogleBooks::drop_expired_tokens(int64_t now_s) {
  std::erase_if(tokens_, [now_s](const auto& entry) { return entry.second.second <= now_s; });
}

std::optional<std::string> GoogleBooks::issue_token(const std::string& client_email, int64_t now_s) {
  // Google's access tokens start "ya29."; the rest is opaque.
  std::string token = "ya29.sim-";
  token += crypto::random_base64url(32);
  std::lock_guard lock(mutex_);
  if (tokens_.size() >= kMaxAccessTokens) drop_expired_tokens(now_s);
  if (tokens_.size() >= kMaxAccessTokens) return std::nullopt;
  tokens_.emplace(token, std::make_pair(client_email, now_s + kAccessTokenLifetimeS));
  return token;
}

std::optional<GoogleServiceAccount> GoogleBooks::token_account(std::string_view token, int64_t now_s) const {
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(token);
  if (it == tokens_.end() || it->second.second <= now_s) return std::nullopt;
  auto account = accounts_.find(it->second.first);
  if (account == accounts_.end()) return std::nullopt;
  return account->second;
}

bool GoogleBooks::put(const GooglePurchase& purchase) {
  std::lock_guard lock(mutex_);
  if (purchases_.size() >= kMaxPurchases && !purchases_.contains(purchase.token)) return false;
  purchases_.insert_or_assign(purchase.token, purchase);
  return true;
}

std::optional<GooglePurchase> GoogleBooks::purchase(std::string_view token) const {
  std::lock_guard lock(mutex_);
  auto it = purchases_.find(token);
  if (it == purchases_.end()) return std::nullopt;
  return it->second;
}

std::optional<GooglePurchase> GoogleBooks::modify(std::string_view token,
                                                  const std::function<void(GooglePurchase&)>& change) {
  std::lock_guard lock(mutex_);
  auto it = purchases_.find(token);
  if (it == purchases_.end()) return std::nullopt;
  change(it->second);
  return it->second;
}

}  // namespace unipay::sim
