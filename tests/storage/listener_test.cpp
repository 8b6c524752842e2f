// Listener against a real PostgreSQL: NOTIFY delivery and recovery of a lost connection.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "scratch_database.hpp"
#include "storage/database.hpp"

namespace unipay::storage::scratch {
namespace {

// Runs `sql` on its own connection to `db`; the first cell, "" on error (test fails).
std::string run(const ScratchDatabase& db, const std::string& sql) {
  auto conn = db.connect();
  auto rows = pg::exec(conn.get(), {sql, {}}, Errc::storage_write);
  EXPECT_TRUE(rows.ok()) << sql << ": " << (rows.ok() ? "" : rows.error().message);
  return rows.ok() && !rows->empty() ? rows->text(0, 0) : "";
}

// Proves the listener delivers NOTIFY payloads, and after losing its connection it
// reconnects, LISTENs again, calls on_reconnect and keeps delivering.
TEST(Listener, DeliversNotificationsAndSurvivesReconnect) {
  ScratchDatabase db;
  if (db.conninfo().empty()) GTEST_SKIP() << "UNIPAY_TEST_DATABASE_URL is not set";
  std::mutex mu;
  std::vector<std::string> payloads;
  std::atomic<int> reconnects{0};
  auto listener = Listener::start(
      db.conninfo(), "unipay_bill",
      [&](std::string p) {
        std::lock_guard l(mu);
        payloads.push_back(std::move(p));
      },
      [&] { reconnects.fetch_add(1); });
  ASSERT_TRUE(listener.ok()) << listener.error().message;
  auto received = [&](size_t n) {
    return eventually([&] {
      std::lock_guard l(mu);
      return payloads.size() >= n;
    });
  };
  run(db, "SELECT pg_notify('unipay_bill', 'b_1 paid 2')");
  run(db, "SELECT pg_notify('other_channel', 'not for us')");
  ASSERT_TRUE(received(1));

  const std::string pid = run(db,
                              "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND "
                              "application_name = 'unipay-listener'");
  EXPECT_EQ(run(db, "SELECT pg_terminate_backend(" + pid + ")"), "t");
  ASSERT_TRUE(eventually([&] { return reconnects.load() == 1; }));
  run(db, "SELECT pg_notify('unipay_bill', 'b_2 closed 2')");
  ASSERT_TRUE(received(2));
  std::lock_guard l(mu);
  EXPECT_EQ(payloads, (std::vector<std::string>{"b_1 paid 2", "b_2 closed 2"}));
}

// Proves an unreachable database is an error value from start(), not a thread that spins.
TEST(Listener, UnreachableDatabaseIsAnError) {
  auto listener = Listener::start(
      "host=/nonexistent-unipay-dir port=1 dbname=x", "c", [](std::string) {}, [] {});
  ASSERT_FALSE(listener.ok());
  EXPECT_EQ(listener.error().code, Errc::storage_read);
}

}  // namespace
}  // namespace unipay::storage::scratch
