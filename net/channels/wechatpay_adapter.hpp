// WeChat Pay API v3: callbacks (signed headers, AES-GCM resource), app-pay prepare
// (POST /v3/pay/transactions/app, then the client's `pay` object) and order queries
// (GET /v3/pay/transactions/out-trade-no/{bill_id}). Rules: net/channels/wechatpay_format.hpp.
#pragma once

#include <map>
#include <memory>
#include <span>

#include "net/channels/channel_adapter.hpp"
#include "net/crypto_rsa.hpp"

namespace unipay::channels {

using PlatformKeys = std::map<std::string, crypto::RsaPublicKey, std::less<>>;  // serial → key

struct WechatpayCredentials final : ChannelCredentials {
  explicit WechatpayCredentials(crypto::RsaPrivateKey merchant_key)
      : merchant_private_key(std::move(merchant_key)) {}
  std::string mchid;
  std::string appid;
  std::string apiv3_key;        // 32 bytes in production (AES-256-GCM); 16 picks AES-128-GCM
  std::string merchant_serial;  // serial of the merchant certificate, named in Authorization
  crypto::RsaPrivateKey merchant_private_key;
  PlatformKeys platform_keys;  // several during a rotation
  std::string_view channel() const override { return "wechatpay"; }
};

std::unique_ptr<ChannelAdapter> make_wechatpay_adapter();

namespace wechatpay {
// Checks the Wechatpay-* headers of a callback or an API answer: all present, timestamp
// within kTimestampWindowS of now_s (stale_timestamp), serial configured and signature valid
// (bad_signature). Exposed for the known-answer tests.
Status verify_signature(std::span<const http::Header> headers, std::string_view body,
                        const PlatformKeys& keys, int64_t now_s);
// Decrypts a notification's `resource` ({"algorithm","ciphertext","nonce","associated_data"}).
Result<std::string> decrypt_resource(const json::Value& resource, std::string_view apiv3_key);
}  // namespace wechatpay

}  // namespace unipay::channels
