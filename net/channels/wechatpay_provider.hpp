// WeChat Pay's side of API v3, for the provider simulator and tests: encrypt a resource and
// sign a notification or an API answer with a platform key as WeChat Pay does, and check a
// merchant's Authorization header. Keys are made at run time; unipayd does not use this.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/result.hpp"
#include "net/crypto_rsa.hpp"
#include "net/http_types.hpp"

namespace unipay::channels::wechatpay {

struct PlatformSigner {
  std::string serial;
  crypto::RsaPrivateKey key;
};

// Wechatpay-Timestamp, -Nonce, -Serial, -Signature for `body` (names lowercase).
std::vector<http::Header> sign_message(const PlatformSigner& signer, int64_t timestamp_s,
                                       std::string_view nonce, std::string_view body);

// {"original_type","algorithm":"AEAD_AES_256_GCM","ciphertext","associated_data","nonce"}.
Result<std::string> encrypt_resource(std::string_view apiv3_key, std::string_view original_type,
                                     std::string_view plaintext, std::string_view nonce,
                                     std::string_view associated_data);

// A notification body: {"id","create_time","resource_type":"encrypt-resource","event_type",
// "summary","resource":<resource_json>}.
std::string notification_body(std::string_view id, std::string_view event_type,
                              std::string_view resource_json, int64_t created_s);

// Checks a merchant request's Authorization: mchid and serial as expected, timestamp within
// the window of now_s, signature over the request message with the merchant's public key.
Status verify_merchant_request(std::string_view authorization, std::string_view method,
                               std::string_view path_with_query, std::string_view body,
                               const crypto::RsaPublicKey& merchant_key, std::string_view mchid,
                               std::string_view merchant_serial, int64_t now_s);

}  // namespace unipay::channels::wechatpay
