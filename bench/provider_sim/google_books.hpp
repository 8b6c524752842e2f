// Google Play's books as the simulator keeps them: the service accounts it made (their
// public keys, the package each may read), the access tokens it issued, the purchases by
// purchase token, and Google's OIDC signing keys for Pub/Sub pushes. Shared by the io
// threads; the mutex guards only the maps and is never held while signing or sending.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "net/crypto_rsa.hpp"

namespace unipay::sim {

struct GoogleServiceAccount {
  std::string client_email;
  crypto::RsaPublicKey public_key;  // verifies the account's JWT assertions
  std::string package_name;         // the one app it may read (Play Console permission)
  std::string token_uri;            // the assertion's audience
};

struct GooglePurchase {
  std::string package_name;
  std::string product_id;
  std::string token;           // the purchase token
  std::string order_id;        // GPA.xxxx-xxxx-xxxx-xxxxx
  std::string account_id;      // obfuscatedExternalAccountId (unipay: the bill id)
  int64_t purchase_state = 0;  // 0 purchased, 1 canceled, 2 pending
  int64_t acknowledgement_state = 0;
  int64_t acknowledgements = 0;  // :acknowledge calls answered 200 (tests count them)
  int64_t lookups = 0;           // purchases.products.get calls answered 200 (tests count them)
  int64_t purchase_time_ms = 0;
  std::string region_code = "US";
  bool voided = false;
};

class GoogleBooks {
 public:
  static constexpr size_t kMaxAccounts = 10000;
  static constexpr size_t kMaxAccessTokens = 100000;
  static constexpr size_t kMaxPurchases = 1000000;
  static constexpr int64_t kAccessTokenLifetimeS = 3599;  // what Google answers

  // Google's Pub/Sub signing key (its kid is in every credentials' pubsub_certs) and one
  // whose kid no app knows (a push token of another issuer).
  GoogleBooks();
  const crypto::RsaPrivateKey& cert_key() const { return cert_key_; }
  const std::string& cert_kid() const { return cert_kid_; }
  const crypto::RsaPrivateKey& stranger_key() const { return stranger_key_; }

  bool add_account(const GoogleServiceAccount& account);  // false when kMaxAccounts exist
  std::optional<GoogleServiceAccount> account(std::string_view client_email) const;

  // A new access token for the account; nullopt when kMaxAccessTokens live ones exist.
  std::optional<std::string> issue_token(const std::string& client_email, int64_t now_s);
  // The account whose unexpired access token this is.
  std::optional<GoogleServiceAccount> token_account(std::string_view token, int64_t now_s) const;

  bool put(const GooglePurchase& purchase);  // creates or replaces; false when full
  std::optional<GooglePurchase> purchase(std::string_view token) const;
  // Changes a purchase under the lock; the purchase as changed, or nullopt when unknown.
  std::optional<GooglePurchase> modify(std::string_view token,
                                       const std::function<void(GooglePurchase&)>& change);

 private:
  void drop_expired_tokens(int64_t now_s);  // with mutex_ held

  const crypto::RsaPrivateKey cert_key_;
  const std::string cert_kid_;
  const crypto::RsaPrivateKey stranger_key_;
  mutable std::mutex mutex_;
  std::map<std::string, GoogleServiceAccount, std::less<>> accounts_;           // by client_email
  std::map<std::string, std::pair<std::string, int64_t>, std::less<>> tokens_;  // → email, expiry
  std::map<std::string, GooglePurchase, std::less<>> purchases_;                // by token
};

}  // namespace unipay::sim
