// net/crypto_rsa: the wechatpay-go SHA256withRSA known answer, PEM / certificate / bare
// base64 key forms, refusal of non-keys, and sign → verify round trips with run-time keys.
#include "net/crypto_rsa.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "net/base64.hpp"
#include "net/json.hpp"

namespace unipay::crypto {
namespace {

std::string vector_file(const std::string& relative) {
  std::ifstream in(std::string(UNIPAY_SOURCE_DIR) + "/tests/data/vectors/" + relative, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string json_string(const std::string& file, std::string_view key) {
  auto parsed = json::parse(vector_file(file));
  EXPECT_TRUE(parsed.ok()) << file;
  const json::Value* value = parsed ? parsed->find(key) : nullptr;
  return value ? value->string : std::string();
}

// Proves signing equals the official SDK's expected signature byte for byte (PKCS#1 v1.5
// is deterministic), and that the key's own public half verifies it.
TEST(CryptoRsa, WechatpayGoSignKnownAnswer) {
  const std::string file = "wechatpay/wechatpay-go_sign_test.json";
  auto key = RsaPrivateKey::parse(json_string(file, "privateKeyPkcs8Pem"));
  ASSERT_TRUE(key.ok());
  auto signature = key->sign_sha256(json_string(file, "message"));
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(base64::encode(*signature), json_string(file, "expectedSignatureBase64"));
  EXPECT_TRUE(key->public_key().verify_sha256("source", *signature));
  EXPECT_FALSE(key->public_key().verify_sha256("sourcE", *signature));
}

// Proves the three public key forms parse to the same key: PEM, bare base64 DER (Alipay's
// console form) and an X.509 certificate (WeChat Pay platform certificates).
TEST(CryptoRsa, PublicKeyForms) {
  const std::string pem = vector_file("alipay/real_notify_0.alipay_pub.pem");
  auto from_pem = RsaPublicKey::parse(pem);
  ASSERT_TRUE(from_pem.ok());
  std::string bare;
  std::istringstream lines(pem);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("-----", 0) != 0) bare += line;
  }
  auto from_bare = RsaPublicKey::parse(bare);
  ASSERT_TRUE(from_bare.ok());
  EXPECT_EQ(from_pem->pem(), from_bare->pem());
  auto cert = RsaPublicKey::parse(json_string("wechatpay/wechatpay-go_notify_test.json", "platformCertPem"));
  EXPECT_TRUE(cert.ok());
}

// Proves garbage, truncated keys and a private key offered as a public key are refused
// with invalid_parameter (credentials validation relies on it).
TEST(CryptoRsa, RefusesNonKeys) {
  EXPECT_EQ(RsaPublicKey::parse("hello").error().code, Errc::invalid_parameter);
  EXPECT_FALSE(RsaPublicKey::parse("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n").ok());
  EXPECT_FALSE(RsaPrivateKey::parse("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").ok());
  EXPECT_FALSE(RsaPrivateKey::parse(vector_file("alipay/real_notify_0.alipay_pub.pem")).ok());
}

// Proves a generated key round-trips through PEM and verifies only its own signatures.
TEST(CryptoRsa, GeneratedKeyRoundTrip) {
  const RsaPrivateKey a = RsaPrivateKey::generate(2048);
  const RsaPrivateKey b = RsaPrivateKey::generate(2048);
  auto reparsed = RsaPrivateKey::parse(a.pem());
  ASSERT_TRUE(reparsed.ok());
  auto signature = reparsed->sign_sha256("message");
  ASSERT_TRUE(signature.ok());
  auto public_a = RsaPublicKey::parse(a.public_key().pem());
  ASSERT_TRUE(public_a.ok());
  EXPECT_TRUE(public_a->verify_sha256("message", *signature));
  EXPECT_FALSE(b.public_key().verify_sha256("message", *signature));
  EXPECT_EQ(a.public_key().pem().find("PRIVATE"), std::string::npos);
}

}  // namespace
}  // namespace unipay::crypto
