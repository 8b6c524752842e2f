// Google Play (one-time products): a client's purchase token is checked with the Play
// Developer API (purchases.products.get through service-account OAuth, net/channels/
// google_auth.hpp): purchaseState 0, obfuscatedExternalAccountId = the bill id (the client
// passes the `pay` object's obfuscated_account_id to BillingFlowParams), then the purchase is
// acknowledged. Real-time developer notifications come by Pub/Sub push with an OIDC bearer
// token; a purchase notification is queried like a receipt, a voided purchase is a refund.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "net/channels/channel_adapter.hpp"
#include "net/channels/google_auth.hpp"

namespace unipay::channels {

struct GoogleCredentials final : ChannelCredentials {
  explicit GoogleCredentials(google::ServiceAccount account) : service_account(std::move(account)) {}
  std::string package_name;
  google::ServiceAccount service_account;
  std::string pubsub_audience;     // the push subscription's configured audience
  google::PushCerts pubsub_certs;  // Google's OAuth certificates by kid (they rotate: update the app)
  std::map<std::string, std::string, std::less<>> products;  // productId → item_id
  // Shared by every copy of these credentials; refreshed through the token endpoint.
  std::shared_ptr<google::AccessTokenCache> access_tokens = std::make_shared<google::AccessTokenCache>();
  std::string_view channel() const override { return "google"; }
};

std::unique_ptr<ChannelAdapter> make_google_adapter();

namespace google {
// purchases.products.get for `purchase_token` of `product_id` (then :acknowledge when paid and
// not yet acknowledged), read for `bill` when given (its bill id and item must match), else
// for whichever bill obfuscatedExternalAccountId names.
Step<ProviderResult> check_purchase(const ChannelContext& context, std::optional<BillView> bill,
                                    const std::string& product_id, const std::string& purchase_token);
}  // namespace google

}  // namespace unipay::channels
