// The janitor's verify jobs in storage/bill_store and storage/job_store against a real
// PostgreSQL: created by the bill's own insert, deleted by any transition, holding back the
// expiry sweep while live, and claimed by kind.
#include "storage/bill_store.hpp"
#include "storage/job_store.hpp"
#include "storage/store_fixture.hpp"

namespace unipay::storage::test {
namespace {

using namespace std::chrono_literals;

class VerifyJobsTest : public StoreTest {
 protected:
  int64_t verify_jobs(const std::string& bill_id) {
    return std::stoll(
        run({"SELECT count(*) FROM jobs WHERE kind = 'verify' AND bill_id = $1", {bill_id}}).text(0, 0));
  }
  std::string due_ms(const std::string& bill_id) {
    return run({"SELECT (extract(epoch FROM next_attempt_at) * 1000)::bigint FROM jobs WHERE kind = 'verify' "
                "AND bill_id = $1",
                {bill_id}})
        .text(0, 0);
  }
  static std::vector<std::string> ids(const Rows& rows) {
    std::vector<std::string> out;
    for (size_t i = 0; i < rows.size(); ++i) out.push_back(rows.text(i, 0));
    return out;
  }
};

// Proves: with a due time the bill's insert also inserts its verify job (due then, attempt
// 0), with or without an idempotency key, and returns what a plain insert returns; an
// idempotent replay inserts neither bill nor job; without a due time no job is made.
TEST_F(VerifyJobsTest, BillInsertCreatesItsVerifyJob) {
  Bill bill = sample_bill("b_v1", app_id_);
  bill.channel = "alipay";
  const Millis due = bill.created_at + 60s;
  EXPECT_EQ(write_one(insert_bill(bill, std::nullopt, kIdempotencyKeepS, due)).text(0, 0), "t");
  EXPECT_EQ(verify_jobs("b_v1"), 1);
  EXPECT_EQ(due_ms("b_v1"), std::to_string(due.time_since_epoch().count()));

  IdempotencyRecord record{app_id_, "key-v", "sha-a", 201, R"({"bill":1})"};
  EXPECT_EQ(write_one(insert_bill(sample_bill("b_v2", app_id_), record, kIdempotencyKeepS, due)).text(0, 0),
            "t");
  EXPECT_EQ(verify_jobs("b_v2"), 1);
  EXPECT_EQ(write_one(insert_bill(sample_bill("b_v3", app_id_), record, kIdempotencyKeepS, due)).text(0, 0),
            "f");
  EXPECT_FALSE(load("b_v3"));
  EXPECT_EQ(verify_jobs("b_v3"), 0);

  insert(sample_bill("b_sandbox", app_id_));
  EXPECT_EQ(verify_jobs("b_sandbox"), 0);
}

// Proves: a transition (here a callback's paid) deletes the bill's verify job in the same
// statement and creates the delivery job as before; a lost compare-and-set deletes nothing.
TEST_F(VerifyJobsTest, AnyTransitionDeletesTheVerifyJob) {
  Bill bill = sample_bill("b_v1", app_id_);
  write_one(insert_bill(bill, std::nullopt, kIdempotencyKeepS, bill.created_at + 60s));
  TransitionWrite stale;
  stale.next = bill;
  stale.next.state = BillState::failed;
  stale.next.version = 9;
  stale.expected_version = 8;
  EXPECT_EQ(write_one(transition_statement(stale)).text(0, 0), "f");
  EXPECT_EQ(verify_jobs("b_v1"), 1);

  TransitionWrite paid;
  paid.next = bill;
  paid.next.state = BillState::paid;
  paid.next.version = bill.version + 1;
  paid.next.provider_trade_no = "T-v1";
  paid.next.paid_at = bill.created_at + 1s;
  paid.expected_version = bill.version;
  paid.lease_owner = "node-a";
  EXPECT_EQ(write_one(transition_statement(paid)).text(0, 0), "t");
  EXPECT_EQ(verify_jobs("b_v1"), 0);
  EXPECT_EQ(parse_jobs(run(select_job_for_bill("delivery", "b_v1"))).size(), 1u);
}

// Proves: the expiry sweep leaves an expired bill alone while it has a live verify job (its
// final query has not said unpaid yet), and claims it once the job is gone or dead; bills
// without one (sandbox) expire as before.
TEST_F(VerifyJobsTest, ExpiryWaitsForTheFinalQuery) {
  for (const char* id : {"e_live", "e_dead", "e_none"}) {
    Bill b = sample_bill(id, app_id_);
    b.created_at = now_ms() - 10min;
    b.expires_at = now_ms() - 1min;
    const bool verify = std::string(id) != "e_none";
    write_one(insert_bill(b, std::nullopt, kIdempotencyKeepS,
                          verify ? std::optional<Millis>(b.expires_at) : std::nullopt));
  }
  run({"UPDATE jobs SET dead_at = now() WHERE bill_id = 'e_dead'", {}});
  EXPECT_EQ(ids(run(claim_expired_bills({}, 10))), (std::vector<std::string>{"e_dead", "e_none"}));
  auto claimed = parse_claimed_jobs(run(claim_due_jobs("verify", "node-a", 30s, 10)));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].bill_id, "e_live");
  EXPECT_EQ(claimed[0].kind, "verify");
  EXPECT_TRUE(lease_held(write_sync(*db_, {finish_job(claimed[0].job_id, "node-a")})).value());
  EXPECT_EQ(ids(run(claim_expired_bills({}, 10))), (std::vector<std::string>{"e_live", "e_dead", "e_none"}));
}

// Proves: claims are per kind: a delivery claim never takes a verify job, nor the reverse.
TEST_F(VerifyJobsTest, ClaimsArePerKind) {
  Bill bill = sample_bill("b_v1", app_id_);
  write_one(insert_bill(bill, std::nullopt, kIdempotencyKeepS, bill.created_at - 1s));
  EXPECT_TRUE(parse_claimed_jobs(run(claim_due_jobs("delivery", "node-a", 30s, 10))).empty());
  EXPECT_EQ(parse_claimed_jobs(run(claim_due_jobs("verify", "node-a", 30s, 10))).size(), 1u);
}

}  // namespace
}  // namespace unipay::storage::test
