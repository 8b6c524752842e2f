// Sealing of client tokens kept for idempotent replays: a reversible one-time pad over the
// base64url alphabet, keyed by a server key and the bill id.
#include "net/token_seal.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "net/crypto.hpp"

namespace unipay {
namespace {

const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

TokenKey test_key(char fill = 'a') { return make_token_key(std::string(64, fill)); }

bool is_base64url(const std::string& text) { return text.find_first_not_of(kAlphabet) == std::string::npos; }

// Proves: a sealed token is not the token, keeps its length and alphabet (so it sits in
// the stored body in the token's place), and unseals to the token with the same key and bill.
TEST(TokenSeal, RoundTripKeepsShape) {
  const std::string token = crypto::random_base64url(16);
  const TokenKey key = test_key();
  const std::string sealed = seal_client_token(token, key, "b_01");
  EXPECT_NE(sealed, token);
  EXPECT_EQ(sealed.size(), token.size());
  EXPECT_TRUE(is_base64url(sealed)) << sealed;
  auto opened = unseal_client_token(sealed, key, "b_01");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, token);
}

// Proves: the keystream depends on the key and on the bill id: the same token seals
// differently for another bill or key, and the wrong key or bill opens to another token.
TEST(TokenSeal, KeyAndBillBothMatter) {
  const std::string token = "AAAAAAAAAAAAAAAAAAAAAA";
  const TokenKey key = test_key('a');
  const TokenKey other = test_key('b');
  const std::string sealed = seal_client_token(token, key, "b_01");
  EXPECT_NE(sealed, seal_client_token(token, key, "b_02"));
  EXPECT_NE(sealed, seal_client_token(token, other, "b_01"));
  EXPECT_NE(*unseal_client_token(sealed, other, "b_01"), token);
  EXPECT_NE(*unseal_client_token(sealed, key, "b_02"), token);
}

// Proves: a key's id is stable, 16 hex characters, differs between keys, and is not a
// piece of the secret.
TEST(TokenSeal, KeyIdNamesTheKeyWithoutShowingIt) {
  const std::string secret = crypto::random_hex(32);
  const TokenKey key = make_token_key(secret);
  EXPECT_EQ(key.id, make_token_key(secret).id);
  EXPECT_EQ(key.id.size(), 16u);
  EXPECT_EQ(key.id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(key.id, test_key('b').id);
  EXPECT_EQ(secret.find(key.id), std::string::npos);
}

// Proves: what is not a sealed token (empty, too long, not base64url) is refused as a value.
TEST(TokenSeal, UnsealRefusesMalformedInput) {
  for (const std::string& bad :
       {std::string(), std::string(33, 'A'), std::string("AAAA\"AAA"), std::string("a b")}) {
    auto opened = unseal_client_token(bad, test_key(), "b_01");
    ASSERT_FALSE(opened.ok()) << bad;
    EXPECT_EQ(opened.error().code, Errc::invalid_parameter);
  }
}

// Proves: for any base64url token of 1 to 32 characters and any bill id, unsealing a
// sealed token gives it back.
RC_GTEST_PROP(TokenSealProperty, UnsealInvertsSeal, (const std::string& bill_id)) {
  const size_t length = *rc::gen::inRange<size_t>(1, kMaxSealedTokenBytes + 1);
  const std::string token = *rc::gen::container<std::string>(length, rc::gen::elementOf(kAlphabet));
  const TokenKey key = make_token_key(crypto::random_hex(32));
  const std::string sealed = seal_client_token(token, key, bill_id);
  RC_ASSERT(sealed.size() == token.size());
  auto opened = unseal_client_token(sealed, key, bill_id);
  RC_ASSERT(opened.ok());
  RC_ASSERT(*opened == token);
}

}  // namespace
}  // namespace unipay
