// Alipay (open API 2.0, RSA2): asynchronous notifications, the app-pay order string
// (alipay.trade.app.pay) and order queries (alipay.trade.query). Rules: DESIGN.md §4,
// net/channels/alipay_format.hpp, shared/vectors/README.md.
#pragma once

#include <memory>

#include "net/channels/channel_adapter.hpp"
#include "net/channels/form.hpp"
#include "net/crypto_rsa.hpp"

namespace unipay::channels {

struct AlipayCredentials final : ChannelCredentials {
  AlipayCredentials(crypto::RsaPublicKey alipay_key, crypto::RsaPrivateKey app_key)
      : alipay_public_key(std::move(alipay_key)), app_private_key(std::move(app_key)) {}
  std::string app_id;                      // the Alipay open-platform app (notifications' app_id)
  std::string seller_id;                   // the merchant's partner id, 2088... (notifications' seller_id)
  crypto::RsaPublicKey alipay_public_key;  // verifies notifications and gateway answers
  crypto::RsaPrivateKey app_private_key;   // signs order strings and gateway requests
  std::string_view channel() const override { return "alipay"; }
};

std::unique_ptr<ChannelAdapter> make_alipay_adapter();

namespace alipay {
// The notification's fields when its RSA2 signature verifies with `key` in either canonical
// form; bad_signature otherwise (also for a sign_type other than RSA2), invalid_parameter
// for a malformed body. Exposed for the known-answer tests.
Result<form::Fields> verify_notification(std::string_view body, const crypto::RsaPublicKey& key);
}  // namespace alipay

}  // namespace unipay::channels
