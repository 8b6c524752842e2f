// net/app_id: the one shape of app ids, checked before any lookup (issue 8.6).
#include "net/app_id.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace unipay {
namespace {

// Proves: every id the server makes has the shape the check accepts, and ids differ.
TEST(AppId, MadeIdsHaveTheCheckedShape) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string id = new_app_id();
    EXPECT_TRUE(looks_like_app_id(id)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 200u);
}

// Proves: anything else is refused: wrong prefix, length, case, characters, path tricks.
TEST(AppId, OtherShapesAreRefused) {
  EXPECT_TRUE(looks_like_app_id("app_0123456789abcdef"));
  for (std::string_view bad :
       {"", "app_", "app_0123456789abcde", "app_0123456789abcdef0", "app_0123456789ABCDEF",
        "APP_0123456789abcdef", "bpp_0123456789abcdef", "app_0123456789abcdeg", "app_../../etc/passw",
        "app_0123456789abcd\n", "app-0123456789abcdef", " app_0123456789abcde"}) {
    EXPECT_FALSE(looks_like_app_id(bad)) << bad;
  }
  EXPECT_FALSE(looks_like_app_id(std::string_view("app_0123456789abcd\0f", 20)));
}

}  // namespace
}  // namespace unipay
