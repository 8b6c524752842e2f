// Housekeeping SQL on the housekeeping connection (Database::maintain) against a real
// PostgreSQL: chunked purges, the one-node-at-a-time advisory locks, the statement timeout.
#include "storage/housekeeping_store.hpp"

#include "storage/store_fixture.hpp"

namespace unipay::storage::test {
namespace {

using namespace std::chrono_literals;

Result<Rows> maintain_sync(Database& db, Statement statement) {
  std::promise<Result<Rows>> done;
  auto answer = done.get_future();
  db.maintain(std::move(statement), [&done](Result<Rows> result) { done.set_value(std::move(result)); });
  return answer.get();
}

class HousekeepingStoreTest : public StoreTest {
 protected:
  int64_t deleted(Statement statement) {
    auto rows = maintain_sync(*db_, std::move(statement));
    EXPECT_TRUE(rows.ok()) << (rows.ok() ? "" : rows.error().message);
    return rows.ok() ? rows->affected : -1;
  }
  std::string lock_answer(Result<Rows> rows) {
    EXPECT_TRUE(rows.ok()) << (rows.ok() ? "" : rows.error().message);
    return rows.ok() ? rows->text(0, 0) : "";
  }
};

// Proves the purge deletes only rows past their windows, at most `limit` per statement,
// the short last chunk telling the run that none are left.
TEST_F(HousekeepingStoreTest, PurgeDeletesOnlyOldRowsInChunks) {
  run(
      {"INSERT INTO nonces (app_id, nonce, seen_at) SELECT 'app1', 'old-' || i, "
       "now() - interval '700 seconds' FROM generate_series(1, 25) i",
       {}});
  run({"INSERT INTO nonces (app_id, nonce) SELECT 'app1', 'new-' || i FROM generate_series(1, 3) i", {}});
  EXPECT_EQ(deleted(purge_nonces_chunk(600, 10)), 10);
  EXPECT_EQ(deleted(purge_nonces_chunk(600, 10)), 10);
  EXPECT_EQ(deleted(purge_nonces_chunk(600, 10)), 5);
  EXPECT_EQ(deleted(purge_nonces_chunk(600, 10)), 0);
  EXPECT_EQ(run({"SELECT count(*) FROM nonces WHERE nonce LIKE 'new-%'", {}}).text(0, 0), "3");
  EXPECT_EQ(run({"SELECT count(*) FROM nonces", {}}).text(0, 0), "3");

  run(
      {"INSERT INTO idempotency_keys (app_id, idem_key, request_sha256, status, response_body, created_at) "
       "SELECT 'app1', 'k-' || i, 'sha', 201, '{}', now() - (CASE WHEN i <= 4 THEN interval '25 hours' "
       "ELSE interval '1 hour' END) FROM generate_series(1, 6) i",
       {}});
  EXPECT_EQ(deleted(purge_idempotency_chunk(86400, 3)), 3);
  EXPECT_EQ(deleted(purge_idempotency_chunk(86400, 3)), 1);
  EXPECT_EQ(run({"SELECT string_agg(idem_key, ',' ORDER BY idem_key) FROM idempotency_keys", {}}).text(0, 0),
            "k-5,k-6");
}

// Proves one session at a time holds a housekeeping lock: the housekeeping connection takes
// it, another connection (another node) is refused without waiting until it is released.
TEST_F(HousekeepingStoreTest, OneNodeAtATimeHoldsTheLock) {
  EXPECT_EQ(lock_answer(maintain_sync(*db_, try_advisory_lock(kPurgeLockKey))), "t");
  EXPECT_EQ(lock_answer(db_->run_blocking(try_advisory_lock(kPurgeLockKey))), "f") << "held by the other";
  EXPECT_EQ(lock_answer(db_->run_blocking(try_advisory_lock(kExpiryLockKey))), "t") << "keys are independent";
  EXPECT_EQ(lock_answer(maintain_sync(*db_, advisory_unlock(kPurgeLockKey))), "t");
  EXPECT_EQ(lock_answer(db_->run_blocking(try_advisory_lock(kPurgeLockKey))), "t");
  EXPECT_EQ(lock_answer(maintain_sync(*db_, try_advisory_lock(kExpiryLockKey))), "f");
}

// Proves a housekeeping statement gives up at the statement timeout instead of holding on,
// and the connection serves the next statement.
TEST_F(HousekeepingStoreTest, StatementTimeoutStopsALongStatement) {
  DatabaseOptions options;
  options.conninfo = conninfo_;
  options.reader_connections = 1;
  options.maintenance_statement_timeout = 200ms;
  auto db = Database::open(options);
  ASSERT_TRUE(db.ok());
  const auto start = std::chrono::steady_clock::now();
  auto slow = maintain_sync(**db, {"SELECT pg_sleep(5)", {}});
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  ASSERT_FALSE(slow.ok());
  EXPECT_NE(slow.error().message.find("statement timeout"), std::string::npos) << slow.error().message;
  auto next = maintain_sync(**db, {"SELECT 1", {}});
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->text(0, 0), "1");
}

}  // namespace
}  // namespace unipay::storage::test
