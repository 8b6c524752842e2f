// Migrations against a real PostgreSQL: applying is idempotent and safe to race.
#include "storage/migrations.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "scratch_database.hpp"
#include "storage/migrations_data.hpp"

namespace unipay::storage::scratch {
namespace {

int64_t count_applied(const ScratchDatabase& db) {
  auto conn = db.connect();
  auto rows =
      pg::exec(conn.get(), {"SELECT count(*), max(version) FROM schema_migrations", {}}, Errc::storage_read);
  EXPECT_TRUE(rows.ok()) << (rows.ok() ? "" : rows.error().message);
  if (!rows.ok()) return -1;
  EXPECT_EQ(rows->text(0, 1), std::to_string(latest_migration_version()));
  return std::stoll(rows->text(0, 0));
}

// Proves the embedded list is sorted and the latest version is its last one.
TEST(Migrations, EmbeddedListIsSortedAndLatestIsLast) {
  const auto& all = embedded_migrations();
  ASSERT_FALSE(all.empty());
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].version, all[i].version);
  EXPECT_EQ(latest_migration_version(), all.back().version);
}

// Proves a fresh database is reported stale, applying makes it current, and applying
// again changes nothing (each version recorded once).
TEST(Migrations, ApplyTwiceIsIdempotent) {
  ScratchDatabase db(/*migrate=*/false);
  if (db.conninfo().empty()) GTEST_SKIP() << "UNIPAY_TEST_DATABASE_URL is not set";
  auto before = migrations_current(db.conninfo());
  ASSERT_TRUE(before.ok()) << before.error().message;
  EXPECT_FALSE(*before);
  auto first = apply_migrations(db.conninfo());
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = apply_migrations(db.conninfo());
  ASSERT_TRUE(second.ok()) << second.error().message;
  auto after = migrations_current(db.conninfo());
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_TRUE(*after);
  EXPECT_EQ(count_applied(db), static_cast<int64_t>(embedded_migrations().size()));
}

// Proves the advisory lock serializes nodes starting together: both succeed, no version
// is applied twice.
TEST(Migrations, ConcurrentApplyIsSerialized) {
  ScratchDatabase db(/*migrate=*/false);
  if (db.conninfo().empty()) GTEST_SKIP() << "UNIPAY_TEST_DATABASE_URL is not set";
  Status a = ok_status(), b = ok_status();
  std::thread other([&] { a = apply_migrations(db.conninfo()); });
  b = apply_migrations(db.conninfo());
  other.join();
  EXPECT_TRUE(a.ok()) << a.error().message;
  EXPECT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(count_applied(db), static_cast<int64_t>(embedded_migrations().size()));
}

// Proves an unreachable database is an error value, not an exception or a hang.
TEST(Migrations, UnreachableDatabaseIsAnError) {
  auto current = migrations_current("host=/nonexistent-unipay-dir port=1 dbname=x connect_timeout=2");
  ASSERT_FALSE(current.ok());
  EXPECT_EQ(current.error().code, Errc::storage_read);
  auto applied = apply_migrations("host=/nonexistent-unipay-dir port=1 dbname=x connect_timeout=2");
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().code, Errc::storage_write);
}

}  // namespace
}  // namespace unipay::storage::scratch
