// net/base64: RFC 4648 test vectors, and the strictness that makes one text mean one byte
// string (needed so a changed signature character can never verify).
#include "net/base64.hpp"

#include <gtest/gtest.h>

namespace unipay::base64 {
namespace {

// Proves the RFC 4648 §10 vectors both ways.
TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(encode(plain), encoded);
    auto decoded = decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
  EXPECT_EQ(encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

// Proves malformed or non-canonical texts are refused: wrong length, characters outside the
// alphabet (also URL-safe ones and whitespace), misplaced padding, non-zero spare bits.
TEST(Base64, StrictDecoding) {
  for (const char* bad :
       {"Zg", "Zg=", "Zm9v\n", "Zm-v", "Zm_v", "Z===", "=Zm9", "Zg==Zg==", "Zh==", "Zm9=", " Zg="}) {
    EXPECT_FALSE(decode(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace unipay::base64
