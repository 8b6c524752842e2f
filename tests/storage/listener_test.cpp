// Listener against a real PostgreSQL: NOTIFY delivery and recovery of a lost connection.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

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

// A session on the test cluster's own database (not the scratch one, which a database
// cannot refuse connections to while connected to itself).
pg::Conn cluster_connection() {
  auto conn = pg::connect(std::getenv("UNIPAY_TEST_DATABASE_URL"), "unipay-test", Errc::storage_read);
  EXPECT_TRUE(conn.ok()) << (conn.ok() ? "" : conn.error().message);
  return conn.ok() ? std::move(*conn) : pg::Conn{};
}

// New sessions to `db` are refused (FATAL: not currently accepting connections) or accepted.
void allow_connections(const ScratchDatabase& db, bool allow) {
  pg::Conn admin = cluster_connection();
  const std::string sql = "ALTER DATABASE " + db.name() + " ALLOW_CONNECTIONS " +
                          (allow ? std::string("true") : std::string("false"));
  auto altered = pg::exec_script(admin.get(), sql.c_str(), Errc::storage_write);
  ASSERT_TRUE(altered.ok()) << altered.error().message;
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

// Proves a listener started while the database refuses connections is not given up on:
// start() succeeds, the listener keeps retrying with backoff, and once connections are
// accepted it LISTENs, calls on_reconnect (re-read everything) and delivers notifications.
TEST(Listener, StartedWhileTheDatabaseRefusesItKeepsRetryingUntilItListens) {
  ScratchDatabase db;
  if (db.conninfo().empty()) GTEST_SKIP() << "UNIPAY_TEST_DATABASE_URL is not set";
  allow_connections(db, false);
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
  EXPECT_FALSE((*listener)->listening());
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // several refused tries
  EXPECT_FALSE((*listener)->listening());
  EXPECT_EQ(reconnects.load(), 0);

  allow_connections(db, true);
  ASSERT_TRUE(eventually([&] { return reconnects.load() == 1 && (*listener)->listening(); }));
  run(db, "SELECT pg_notify('unipay_bill', 'b_3 paid 2')");
  ASSERT_TRUE(eventually([&] {
    std::lock_guard l(mu);
    return payloads == std::vector<std::string>{"b_3 paid 2"};
  }));
}

// Proves a listener whose connection is killed while the database refuses new ones keeps
// retrying (not one reset and done) and listens again once it can.
TEST(Listener, KilledAndRefusedItKeepsRetrying) {
  ScratchDatabase db;
  if (db.conninfo().empty()) GTEST_SKIP() << "UNIPAY_TEST_DATABASE_URL is not set";
  std::atomic<int> notes{0};
  std::atomic<int> reconnects{0};
  auto listener = Listener::start(
      db.conninfo(), "unipay_bill", [&](std::string) { notes.fetch_add(1); },
      [&] { reconnects.fetch_add(1); });
  ASSERT_TRUE(listener.ok()) << listener.error().message;
  ASSERT_TRUE((*listener)->listening());
  allow_connections(db, false);
  pg::Conn admin = cluster_connection();
  auto killed = pg::exec(admin.get(),
                         {"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                          "datname = $1 AND application_name = 'unipay-listener'",
                          {db.name()}},
                         Errc::storage_write);
  ASSERT_TRUE(killed.ok()) << killed.error().message;
  ASSERT_EQ(killed->size(), 1u);
  ASSERT_TRUE(eventually([&] { return !(*listener)->listening(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_FALSE((*listener)->listening());
  allow_connections(db, true);
  ASSERT_TRUE(eventually([&] { return reconnects.load() == 1 && (*listener)->listening(); }));
  run(db, "SELECT pg_notify('unipay_bill', 'b_4 paid 2')");
  ASSERT_TRUE(eventually([&] { return notes.load() == 1; }));
}

// Proves an unreachable server is retried in the background without blocking the caller,
// and that stopping such a listener does not wait for the retries.
TEST(Listener, UnreachableServerIsRetriedAndStopsPromptly) {
  std::atomic<int> reconnects{0};
  auto listener = Listener::start(
      "host=/nonexistent-unipay-dir port=1 dbname=x", "c", [](std::string) {},
      [&] { reconnects.fetch_add(1); });
  ASSERT_TRUE(listener.ok()) << listener.error().message;
  EXPECT_FALSE((*listener)->listening());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto stopping = std::chrono::steady_clock::now();
  listener->reset();
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::seconds(1));
  EXPECT_EQ(reconnects.load(), 0);
}

}  // namespace
}  // namespace unipay::storage::scratch
