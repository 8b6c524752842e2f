// net/crypto: known answers for SHA-256 and HMAC-SHA256, constant-time comparison, and
// the shape and uniqueness of random tokens.
#include "net/crypto.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace unipay::crypto {
namespace {

// Proves SHA-256 against the FIPS 180-2 known answers for "" and "abc".
TEST(Crypto, Sha256KnownAnswers) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// Proves the streamed digest equals the one-shot digest however the data is cut (empty
// pieces included), and matches the "" known answer with no piece at all.
TEST(Crypto, Sha256StreamEqualsOneShot) {
  const std::string data = "The quick brown fox jumps over the lazy dog, " + std::string(1000, 'x');
  for (size_t cut : {size_t{1}, size_t{7}, size_t{64}, size_t{999}, data.size()}) {
    Sha256Stream stream;
    for (size_t at = 0; at < data.size(); at += cut) {
      stream.update(std::string_view(data).substr(at, cut));
      stream.update("");
    }
    EXPECT_EQ(stream.hex(), sha256_hex(data)) << cut;
  }
  Sha256Stream empty;
  EXPECT_EQ(empty.hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// Proves HMAC-SHA256 against RFC 4231 test cases 2 (short key) and 6 (key longer than a
// block, hashed first), and the empty key and message (a well-known answer).
TEST(Crypto, HmacSha256KnownAnswers) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(
      hmac_sha256_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(hmac_sha256_hex("", ""), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

// Proves keys and messages with NUL bytes are used whole (string_view, not C strings).
TEST(Crypto, EmbeddedNulBytesCount) {
  using namespace std::string_literals;
  EXPECT_NE(hmac_sha256_hex("k\0a"s, "m"), hmac_sha256_hex("k\0b"s, "m"));
  EXPECT_NE(sha256_hex("a\0b"s), sha256_hex("a"));
}

// Proves constant_time_equal is plain equality: different lengths and single-byte
// differences anywhere are unequal; empty equals empty.
TEST(Crypto, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abcdef", "abcdef"));
  EXPECT_FALSE(constant_time_equal("abcdef", "abcdeg"));
  EXPECT_FALSE(constant_time_equal("abcdef", "bbcdef"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("", "a"));
}

// Proves random_hex gives 2 lowercase hex characters per byte and does not repeat.
TEST(Crypto, RandomHexShapeAndUniqueness) {
  EXPECT_EQ(random_hex(0), "");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string token = random_hex(16);
    ASSERT_EQ(token.size(), 32u);
    EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

// Proves random_base64url has the unpadded length ceil(4n/3), only URL-safe characters,
// and does not repeat.
TEST(Crypto, RandomBase64UrlShapeAndUniqueness) {
  const size_t lengths[][2] = {{0, 0}, {1, 2}, {2, 3}, {3, 4}, {4, 6}, {16, 22}, {32, 43}};
  for (const auto& [bytes, chars] : lengths) {
    std::string token = random_base64url(bytes);
    EXPECT_EQ(token.size(), chars) << bytes;
    EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
  }
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(random_base64url(16));
  EXPECT_EQ(seen.size(), 1000u);
}

// Proves every base64url character position is used: over many tokens each of the 64
// characters appears (a broken bit shift would leave some unreachable).
TEST(Crypto, RandomBase64UrlUsesWholeAlphabet) {
  std::set<char> chars;
  for (int i = 0; i < 200; ++i) {
    for (char c : random_base64url(30)) chars.insert(c);
  }
  EXPECT_EQ(chars.size(), 64u);
}

}  // namespace
}  // namespace unipay::crypto
