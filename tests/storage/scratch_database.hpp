// A database of its own for one test on the test cluster (UNIPAY_TEST_DATABASE_URL):
// created as t_<random>, optionally migrated, dropped when the test ends.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "storage/migrations.hpp"
#include "storage/migrations_data.hpp"
#include "storage/pg_connection.hpp"

namespace unipay::storage::scratch {

class ScratchDatabase {
 public:
  // Empty conninfo() when UNIPAY_TEST_DATABASE_URL is unset (the test should skip).
  explicit ScratchDatabase(bool migrate = true) {
    const char* url = std::getenv("UNIPAY_TEST_DATABASE_URL");
    if (!url) return;
    url_ = url;
    std::random_device random;
    name_ = "t_" + std::to_string(random()) + std::to_string(random());
    auto admin = pg::connect(url_, "unipay-test", Errc::storage_read);
    if (!admin) {
      ADD_FAILURE() << admin.error().message;
      return;
    }
    // An identifier made here, not a value: CREATE DATABASE takes no parameters.
    auto created = pg::exec(admin->get(), {"CREATE DATABASE " + name_, {}}, Errc::storage_write);
    if (!created) {
      ADD_FAILURE() << created.error().message;
      return;
    }
    conninfo_ = pg::with_dbname(url_, name_).value();
    if (migrate) {
      auto migrated = apply_migrations(conninfo_);
      if (!migrated) ADD_FAILURE() << migrated.error().message;
    }
  }
  ~ScratchDatabase() {
    if (conninfo_.empty()) return;
    auto admin = pg::connect(url_, "unipay-test", Errc::storage_read);
    if (admin) {
      (void)pg::exec(admin->get(), {"DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)", {}},
                     Errc::storage_write);
    }
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& conninfo() const { return conninfo_; }
  const std::string& name() const { return name_; }

  // A separate connection to the scratch database, for checks "from another session".
  pg::Conn connect() const {
    auto conn = pg::connect(conninfo_, "unipay-test", Errc::storage_read);
    EXPECT_TRUE(conn.ok()) << (conn.ok() ? "" : conn.error().message);
    return conn.ok() ? std::move(*conn) : pg::Conn{};
  }

 private:
  std::string url_;
  std::string name_;
  std::string conninfo_;
};

// Counts completions from other threads; the test waits for a number of them.
class Countdown {
 public:
  void add() {
    std::lock_guard lock(mu_);
    ++count_;
    cv_.notify_all();
  }
  bool wait_for(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return count_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t count_ = 0;
};

// Polls `condition` every 20 ms until it holds or `timeout` passes.
template <class F>
bool eventually(F condition, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

// Brings a database made with migrate=false to the schema of the release before `version`:
// applies and records the embedded migrations older than it, as that release left them, so
// a test can put rows in and then apply `version` the way an upgrade does.
inline bool migrate_below(PGconn* conn, int version) {
  auto script = [conn](const std::string& sql) {
    auto done = pg::exec_script(conn, sql.c_str(), Errc::storage_write);
    if (!done) ADD_FAILURE() << sql.substr(0, 80) << ": " << done.error().message;
    return done.ok();
  };
  if (!script("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
              "applied_at timestamptz NOT NULL DEFAULT now())"))
    return false;
  for (const auto& migration : embedded_migrations()) {
    if (migration.version >= version) break;
    if (!script(std::string(migration.sql))) return false;
    if (!script("INSERT INTO schema_migrations (version, name) VALUES (" + std::to_string(migration.version) +
                ", '" + std::string(migration.name) + "')"))
      return false;
  }
  return true;
}

}  // namespace unipay::storage::scratch
