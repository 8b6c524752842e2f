// Delivery attempt SQL against a real PostgreSQL: every attempt is kept with its outcome,
// listed per bill in time order with a cursor, and a retried insert records nothing twice.
#include "storage/delivery_attempt_store.hpp"

#include "storage/job_store.hpp"
#include "storage/store_fixture.hpp"

namespace unipay::storage::test {
namespace {

using std::chrono::milliseconds;

class DeliveryAttemptStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped()) return;
    insert(sample_bill(bill_id_, app_id_));
  }

  DeliveryAttempt attempt(int n, std::optional<int> status, const std::string& error,
                          std::optional<int64_t> latency_ms, const std::string& bill_id = "") {
    DeliveryAttempt a;
    a.attempt_key = "key-" + (bill_id.empty() ? bill_id_ : bill_id) + "-" + std::to_string(n) + "-" +
                    std::to_string(++keys_);
    a.bill_id = bill_id.empty() ? bill_id_ : bill_id;
    a.delivery_id = "d_" + a.bill_id;
    a.attempt = n;
    a.node_id = "node-a";
    a.started_at = Millis{milliseconds{1'700'000'000'123 + n * 1000}};
    a.http_status = status;
    a.error = error;
    a.latency_ms = latency_ms;
    return a;
  }

  std::optional<std::vector<DeliveryAttempt>> list(const std::string& bill_id, int64_t after = 0,
                                                   int limit = 100) {
    auto rows = read_sync(*db_, select_delivery_attempts(bill_id, after, limit));
    EXPECT_TRUE(rows.ok()) << (rows.ok() ? "" : rows.error().message);
    return rows.ok() ? parse_delivery_attempts(*rows) : std::nullopt;
  }

  const std::string bill_id_ = "b_attempts";
  int keys_ = 0;
};

// Proves each field of an attempt comes back as written (NULL status and latency included),
// and a bill's attempts are listed oldest first.
TEST_F(DeliveryAttemptStoreTest, AttemptsComeBackAsWrittenInOrder) {
  write_one(insert_delivery_attempt(attempt(1, std::nullopt, "connect 127.0.0.1:9: refused", 3)));
  write_one(insert_delivery_attempt(attempt(2, 500, "game server answered 500", 41)));
  write_one(insert_delivery_attempt(attempt(3, std::nullopt, "app unavailable", std::nullopt)));
  write_one(insert_delivery_attempt(attempt(4, 200, "", 12)));

  auto got = list(bill_id_);
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->size(), 4u);
  for (int i = 0; i < 4; ++i) {
    const DeliveryAttempt want = attempt(i + 1, std::nullopt, "", std::nullopt);
    const DeliveryAttempt& a = (*got)[i];
    EXPECT_EQ(a.attempt, i + 1);
    EXPECT_EQ(a.bill_id, bill_id_);
    EXPECT_EQ(a.delivery_id, "d_" + bill_id_);
    EXPECT_EQ(a.node_id, "node-a");
    EXPECT_EQ(a.started_at, want.started_at) << "started_at keeps its milliseconds";
    if (i > 0) {
      EXPECT_GT(a.attempt_id, (*got)[i - 1].attempt_id);
    }
  }
  EXPECT_EQ((*got)[0].http_status, std::nullopt);
  EXPECT_EQ((*got)[0].error, "connect 127.0.0.1:9: refused");
  EXPECT_EQ((*got)[0].latency_ms, 3);
  EXPECT_EQ((*got)[1].http_status, 500);
  EXPECT_EQ((*got)[1].latency_ms, 41);
  EXPECT_EQ((*got)[2].latency_ms, std::nullopt);
  EXPECT_EQ((*got)[3].http_status, 200);
  EXPECT_EQ((*got)[3].error, "");
}

// Proves an insert sent again after an unknown outcome (same attempt_key) records nothing
// twice and raises no error, so it cannot fail the other ops of its group commit.
TEST_F(DeliveryAttemptStoreTest, RetriedInsertIsRecordedOnce) {
  const DeliveryAttempt a = attempt(1, 200, "", 5);
  write_one(insert_delivery_attempt(a));
  auto again = write_sync(*db_, {insert_delivery_attempt(a)});
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->front().affected, 0);
  EXPECT_EQ(list(bill_id_)->size(), 1u);
}

// Proves an unknown bill (none) is told apart from a bill without attempts (empty), and
// another bill's attempts are never listed.
TEST_F(DeliveryAttemptStoreTest, UnknownBillDiffersFromNoAttempts) {
  EXPECT_EQ(list("b_nosuchbill"), std::nullopt);
  auto none = list(bill_id_);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());

  insert(sample_bill("b_other", app_id_));
  write_one(insert_delivery_attempt(attempt(1, 503, "game server answered 503", 2, "b_other")));
  EXPECT_TRUE(list(bill_id_)->empty());
  EXPECT_EQ(list("b_other")->size(), 1u);
}

// Proves paging: limit + 1 rows tell that a next page exists, and the cursor (the last
// attempt_id shown) continues exactly after it, with no attempt lost or repeated.
TEST_F(DeliveryAttemptStoreTest, CursorPagesThroughEveryAttempt) {
  for (int n = 1; n <= 5; ++n) write_one(insert_delivery_attempt(attempt(n, 500, "x", n)));
  auto first = list(bill_id_, 0, 2);
  ASSERT_EQ(first->size(), 3u) << "limit + 1 rows";
  auto second = list(bill_id_, (*first)[1].attempt_id, 2);
  ASSERT_EQ(second->size(), 3u);
  EXPECT_EQ((*second)[0].attempt, 3);
  auto last = list(bill_id_, (*second)[1].attempt_id, 2);
  ASSERT_EQ(last->size(), 1u) << "no next page";
  EXPECT_EQ((*last)[0].attempt, 5);
  EXPECT_TRUE(list(bill_id_, (*last)[0].attempt_id, 2)->empty());
}

// Proves the attempt row commits with the reschedule in one write op even when the
// reschedule finds the lease taken by another node (no row, no error): the attempt
// happened, so it stays on record.
TEST_F(DeliveryAttemptStoreTest, AttemptIsRecordedWithItsReschedule) {
  run(
      {"INSERT INTO jobs (kind, bill_id, next_attempt_at, lease_owner, lease_until) "
       "VALUES ('delivery', $1, now(), 'node-b', now() + interval '1 minute')",
       {bill_id_}});
  const int64_t job_id = std::stoll(run({"SELECT job_id FROM jobs", {}}).text(0, 0));
  auto rows =
      write_sync(*db_, {insert_delivery_attempt(attempt(1, 500, "game server answered 500", 7)),
                        reschedule_job(job_id, "node-a", 1, milliseconds{1000}, "game server answered 500")});
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_TRUE(rows->back().empty()) << "node-a does not hold the lease";
  EXPECT_EQ(list(bill_id_)->size(), 1u);
}

}  // namespace
}  // namespace unipay::storage::test
