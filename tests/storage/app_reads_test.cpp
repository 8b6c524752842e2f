// Proves the per-thread app cache's negative entries and the re-read limit (issue 8.6):
// an unknown app is answered from memory, an app created since is seen at once here, and a
// signature-mismatch re-read is granted once per second per app, or again after an admin
// change made on this node.
#include "storage/app_reads.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace unipay::storage {
namespace {

App app_named(const std::string& app_id) {
  App app;
  app.app_id = app_id;
  app.secrets = {"s1"};
  return app;
}

TEST(AppReads, UnknownAppIsRememberedUntilTheAppIsSeen) {
  const std::string id = "app_00000000000000a1";
  EXPECT_FALSE(cached_unknown_app(id));
  remember_unknown_app(id);
  EXPECT_TRUE(cached_unknown_app(id));
  EXPECT_FALSE(cached_app(id).has_value());
  remember_app(app_named(id));  // created meanwhile and read back on this thread
  EXPECT_FALSE(cached_unknown_app(id));
  ASSERT_TRUE(cached_app(id).has_value());
  remember_unknown_app(id);  // deleted again: the positive entry goes too
  EXPECT_FALSE(cached_app(id).has_value());
}

TEST(AppReads, NegativeEntriesAreThreadLocal) {
  const std::string id = "app_00000000000000a2";
  remember_unknown_app(id);
  bool seen_elsewhere = true;
  std::thread([&] { seen_elsewhere = cached_unknown_app(id); }).join();
  EXPECT_FALSE(seen_elsewhere);
  EXPECT_TRUE(cached_unknown_app(id));
}

TEST(AppReads, AnAppReadLatelyIsKnownUntilFoundMissing) {
  const std::string id = "app_00000000000000a3";
  EXPECT_FALSE(recently_known_app(id));
  remember_app(app_named(id));
  EXPECT_TRUE(recently_known_app(id));
  std::this_thread::sleep_for(std::chrono::milliseconds(1050));
  EXPECT_FALSE(cached_app(id).has_value());  // the row itself is kept a second only
  EXPECT_TRUE(recently_known_app(id));
  remember_unknown_app(id);
  EXPECT_FALSE(recently_known_app(id));
}

TEST(AppReads, RereadIsGrantedOncePerSecondPerApp) {
  const std::string a = "app_00000000000000b1";
  const std::string b = "app_00000000000000b2";
  EXPECT_TRUE(claim_app_reread(a));
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(claim_app_reread(a));
  EXPECT_TRUE(claim_app_reread(b));  // another app has its own allowance
  std::this_thread::sleep_for(std::chrono::milliseconds(1050));
  EXPECT_TRUE(claim_app_reread(a));
  EXPECT_FALSE(claim_app_reread(a));
}

TEST(AppReads, AnAdminChangeHereEndsNegativeEntriesAndRereadLimits) {
  const std::string id = "app_00000000000000c1";
  remember_unknown_app(id);
  EXPECT_TRUE(claim_app_reread(id));
  EXPECT_FALSE(claim_app_reread(id));
  note_app_changed();  // e.g. created or rotated through this node's admin API
  EXPECT_FALSE(cached_unknown_app(id));
  EXPECT_TRUE(claim_app_reread(id));
  EXPECT_FALSE(claim_app_reread(id));
}

}  // namespace
}  // namespace unipay::storage
