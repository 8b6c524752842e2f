// Shared by the store tests: each test gets a migrated database of its own on the test
// cluster (scratch_database.hpp), so tests neither see nor disturb each other, and a
// Database on it with one app row (bills and jobs need it).
#pragma once

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "scratch_database.hpp"
#include "storage/app_store.hpp"
#include "storage/bill.hpp"
#include "storage/bill_store.hpp"
#include "storage/database.hpp"

namespace unipay::storage::test {

// The default bills.idempotency_keep_s (DESIGN §3: 24 h), for tests that need any lifetime.
constexpr int kIdempotencyKeepS = 86400;

inline std::unique_ptr<Database> open_database(const std::string& conninfo) {
  DatabaseOptions options;
  options.conninfo = conninfo;
  options.reader_connections = 1;
  auto db = Database::open(options);
  EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().message);
  return db.ok() ? std::move(db.value()) : nullptr;
}

// Database::write, waited for.
inline Result<std::vector<Rows>> write_sync(Database& db, std::vector<Statement> statements) {
  std::promise<Result<std::vector<Rows>>> done;
  auto answer = done.get_future();
  db.write(std::move(statements),
           [&done](Result<std::vector<Rows>> result) { done.set_value(std::move(result)); });
  return answer.get();
}

inline Result<Rows> read_sync(Database& db, Statement statement) {
  std::promise<Result<Rows>> done;
  auto answer = done.get_future();
  db.read(std::move(statement), [&done](Result<Rows> result) { done.set_value(std::move(result)); });
  return answer.get();
}

// A bill with every field set to something distinct, created now, expiring in 30 min.
inline Bill sample_bill(const std::string& bill_id, const std::string& app_id) {
  Bill b;
  b.bill_id = bill_id;
  b.app_id = app_id;
  b.user_id = "user-1";
  b.item_id = "gems_100";
  b.channel = "sandbox";
  b.amount_minor = 699;
  b.currency = "USD";
  b.coins = 100;
  b.passinfo = "opaque 'pass' \"info\"";
  b.os = "android";
  b.app_version = "1.2.3";
  b.sdk_version = "4.5.6";
  b.map_user_id = "map-9";
  b.client_token_hash = std::string(64, 'a');
  b.created_at = now_ms();
  b.expires_at = b.created_at + std::chrono::minutes{30};
  return b;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (scratch_.conninfo().empty()) GTEST_SKIP() << "UNIPAY_TEST_DATABASE_URL is not set";
    conninfo_ = scratch_.conninfo();
    db_ = open_database(conninfo_);
    ASSERT_NE(db_, nullptr);
    add_app(app_id_);
  }

  // Before the scratch database is dropped, so its connections close cleanly.
  void TearDown() override { db_.reset(); }

  void add_app(const std::string& app_id) {
    App app;
    app.app_id = app_id;
    app.name = "Game " + app_id;
    app.delivery_url = "https://game.example/deliver";
    app.secrets = {"secret-" + app_id};
    auto inserted = write_sync(*db_, insert_app(app, {}));
    ASSERT_TRUE(inserted.ok()) << inserted.error().message;
  }

  // A statement the test needs for set-up or inspection, run blocking; must succeed.
  Rows run(const Statement& statement) {
    auto rows = db_->run_blocking(statement);
    EXPECT_TRUE(rows.ok()) << statement.sql << ": " << (rows.ok() ? "" : rows.error().message);
    return rows.ok() ? std::move(rows.value()) : Rows{};
  }

  // One write op of one statement; its rows, which must come back.
  Rows write_one(Statement statement) {
    std::vector<Statement> statements;
    statements.push_back(std::move(statement));
    auto result = write_sync(*db_, std::move(statements));
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
    return result.ok() && !result->empty() ? std::move(result->front()) : Rows{};
  }

  void insert(const Bill& bill) {
    EXPECT_EQ(write_one(insert_bill(bill, std::nullopt, kIdempotencyKeepS)).text(0, 0), "t") << bill.bill_id;
  }

  // Through a reader, as the bill actors load bills.
  std::optional<Bill> load(const std::string& bill_id) {
    auto rows = read_sync(*db_, select_bill(bill_id));
    EXPECT_TRUE(rows.ok()) << (rows.ok() ? "" : rows.error().message);
    return rows.ok() ? parse_bill(*rows) : std::nullopt;
  }

  scratch::ScratchDatabase scratch_;  // first member: dropped after everything using it
  std::unique_ptr<Database> db_;
  std::string conninfo_;
  std::string app_id_ = "app1";
};

}  // namespace unipay::storage::test
