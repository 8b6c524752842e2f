// net/aead: AES-GCM with the key length choosing the variant: the official WeChat Pay
// vector (16-byte key) decrypts, a 32-byte key round-trips, and any change is refused.
#include "net/aead.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "net/base64.hpp"
#include "net/json.hpp"

namespace unipay::crypto {
namespace {

json::Value notify_vector() {
  std::ifstream in(std::string(UNIPAY_SOURCE_DIR) +
                   "/tests/data/vectors/wechatpay/wechatpay-go_notify_test.json");
  std::ostringstream text;
  text << in.rdbuf();
  auto parsed = json::parse(text.str());
  EXPECT_TRUE(parsed.ok());
  return parsed ? *parsed : json::Value{};
}

// Proves the wechatpay-go notification resource decrypts to the expected plaintext with
// its 16-byte APIv3 key (AES-128-GCM picked by the key length).
TEST(Aead, WechatpayGoVectorDecrypts) {
  json::Value v = notify_vector();
  auto body = json::parse(v.find("body")->string);
  ASSERT_TRUE(body.ok());
  const json::Value& resource = *body->find("resource");
  auto ciphertext = base64::decode(resource.find("ciphertext")->string);
  ASSERT_TRUE(ciphertext.has_value());
  auto plain = aes_gcm_decrypt(v.find("apiv3Key")->string, resource.find("nonce")->string,
                               resource.find("associated_data")->string, *ciphertext);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(*plain, v.find("expectedPlaintext")->string);
}

// Proves encrypt → decrypt round trips for 16- and 32-byte keys, and that a changed
// ciphertext byte, tag byte, aad, nonce or key is refused as bad_signature.
TEST(Aead, RoundTripAndTamperRefused) {
  for (std::string key : {std::string(16, 'k'), std::string(32, 'K')}) {
    auto sealed = aes_gcm_encrypt(key, "nonce_123456", "transaction", "{\"a\":1}");
    ASSERT_TRUE(sealed.ok());
    ASSERT_EQ(sealed->size(), 7 + kGcmTagBytes);
    EXPECT_EQ(*aes_gcm_decrypt(key, "nonce_123456", "transaction", *sealed), "{\"a\":1}");
    std::string changed = *sealed;
    changed[0] ^= 1;
    EXPECT_EQ(aes_gcm_decrypt(key, "nonce_123456", "transaction", changed).error().code, Errc::bad_signature);
    changed = *sealed;
    changed.back() ^= 1;
    EXPECT_FALSE(aes_gcm_decrypt(key, "nonce_123456", "transaction", changed).ok());
    EXPECT_FALSE(aes_gcm_decrypt(key, "nonce_123456", "transactioN", *sealed).ok());
    EXPECT_FALSE(aes_gcm_decrypt(key, "nonce_123457", "transaction", *sealed).ok());
    key[0] ^= 1;
    EXPECT_FALSE(aes_gcm_decrypt(key, "nonce_123456", "transaction", *sealed).ok());
  }
}

// Proves malformed inputs are invalid_parameter, not crashes: bad key length, empty nonce,
// text shorter than the tag.
TEST(Aead, MalformedInputs) {
  EXPECT_EQ(aes_gcm_encrypt("short", "n", "", "x").error().code, Errc::invalid_parameter);
  EXPECT_EQ(aes_gcm_decrypt(std::string(32, 'k'), "", "", std::string(20, 'x')).error().code,
            Errc::invalid_parameter);
  EXPECT_EQ(aes_gcm_decrypt(std::string(32, 'k'), "n", "", "short").error().code, Errc::invalid_parameter);
}

}  // namespace
}  // namespace unipay::crypto
