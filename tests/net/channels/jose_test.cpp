// net/channels/jose: the RS256 JWT header every RS256 token of unipay and its simulators uses.
#include "net/channels/jose.hpp"

#include <gtest/gtest.h>

#include "net/crypto_rsa.hpp"

namespace unipay::channels::jose {
namespace {

// Proves the header is the exact compact JSON Google's OAuth assertion has always been
// signed with (no kid), and carries the kid when one is given.
TEST(Jose, Rs256HeaderIsCompactJsonWithAnOptionalKid) {
  EXPECT_EQ(rs256_header(), R"({"alg":"RS256","typ":"JWT"})");
  EXPECT_EQ(rs256_header("kid-1"), R"({"alg":"RS256","kid":"kid-1","typ":"JWT"})");
}

// Proves a token signed with that header parses back to the same header and payload, and
// that its signature verifies over the signing input with the signer's public key.
TEST(Jose, Rs256TokenRoundTrips) {
  const auto key = crypto::RsaPrivateKey::generate(2048);
  auto token = sign_rs256(rs256_header("k\"1"), R"({"sub":"x"})", key);
  ASSERT_TRUE(token.ok());
  auto jws = parse_compact(*token, kMaxJwsBytes, {});
  ASSERT_TRUE(jws.ok());
  const json::Value* kid = jws->header.find("kid");
  ASSERT_NE(kid, nullptr);
  EXPECT_EQ(kid->string, "k\"1");
  EXPECT_TRUE(key.public_key().verify_sha256(jws->signing_input, jws->signature));
  EXPECT_FALSE(key.public_key().verify_sha256(jws->signing_input + "x", jws->signature));
}

}  // namespace
}  // namespace unipay::channels::jose
