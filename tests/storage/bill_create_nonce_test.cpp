// A bill's creation that records its request's nonce in the same statement (insert_bill
// with a NonceClaim) against a real PostgreSQL: replays write nothing, whatever the variant.
#include "storage/bill_store.hpp"
#include "storage/store_fixture.hpp"

namespace unipay::storage::test {
namespace {

// --- the nonce recorded by the bill's own insert (one write less per creation) -----------

class FoldedNonceTest : public StoreTest {
 protected:
  static constexpr int kWindowS = 600;
  NonceClaim claim(const std::string& nonce, const std::string& app_id = "app1") {
    return {app_id, nonce, kWindowS};
  }
  CreateOutcome create(const Bill& bill, const NonceClaim& nonce,
                       const std::optional<IdempotencyRecord>& record = std::nullopt,
                       std::optional<Millis> verify_due = std::nullopt) {
    return parse_create_outcome(write_one(insert_bill(bill, record, kIdempotencyKeepS, verify_due, nonce)));
  }
  std::string count(const std::string& rows) {
    std::string sql =
        "SELECT count(*) FROM ";  // appended: g++ 12 warns falsely (-Wrestrict) on "lit" + std::string
    sql += rows;
    return run({sql, {}}).text(0, 0);
  }
};

// Proves: a fresh nonce and its bill commit together (created, both rows there); the same
// nonce again with another bill is nonce_used and writes nothing (no bill, nonce row
// unchanged); another app may use the same nonce, as with insert_nonce; a nonce recorded
// by insert_nonce (every other signed route) is refused alike, and past the window it is
// fresh again.
TEST_F(FoldedNonceTest, FreshNonceCreatesAReplayWritesNothing) {
  add_app("app2");
  EXPECT_EQ(create(sample_bill("b_n1", app_id_), claim("n-fold-0123456789")), CreateOutcome::created);
  EXPECT_TRUE(load("b_n1"));
  EXPECT_EQ(count("nonces"), "1");

  EXPECT_EQ(create(sample_bill("b_n2", app_id_), claim("n-fold-0123456789")), CreateOutcome::nonce_used);
  EXPECT_FALSE(load("b_n2"));
  EXPECT_EQ(count("bills"), "1");
  EXPECT_EQ(count("nonces"), "1");

  EXPECT_EQ(create(sample_bill("b_n3", "app2"), claim("n-fold-0123456789", "app2")), CreateOutcome::created);
  EXPECT_TRUE(load("b_n3"));

  EXPECT_EQ(write_one(insert_nonce(app_id_, "n-alone-0123456789", kWindowS)).size(), 1u);
  EXPECT_EQ(create(sample_bill("b_n4", app_id_), claim("n-alone-0123456789")), CreateOutcome::nonce_used);
  EXPECT_FALSE(load("b_n4"));
  EXPECT_EQ(write_one(insert_nonce(app_id_, "n-fold-0123456789", kWindowS)).size(), 0u);

  run({"UPDATE nonces SET seen_at = now() - interval '601 seconds' WHERE app_id = $1", {app_id_}});
  EXPECT_EQ(create(sample_bill("b_n5", app_id_), claim("n-fold-0123456789")), CreateOutcome::created);
  EXPECT_TRUE(load("b_n5"));
}

// Proves: with a verify job (a channel with a query API) a replayed nonce makes neither bill
// nor job; with an Idempotency-Key, a used nonce writes no key row (so no answer is stored
// for a replay), a fresh nonce with a known key is idempotency_key_exists (no bill), and a
// fresh nonce with a new key creates bill, key and job.
TEST_F(FoldedNonceTest, ReplayWritesNoJobAndNoIdempotencyRow) {
  Bill bill = sample_bill("b_v1", app_id_);
  const Millis due = bill.created_at + std::chrono::seconds(60);
  EXPECT_EQ(create(bill, claim("n-verify-0123456789"), std::nullopt, due), CreateOutcome::created);
  EXPECT_EQ(create(sample_bill("b_v2", app_id_), claim("n-verify-0123456789"), std::nullopt, due),
            CreateOutcome::nonce_used);
  EXPECT_FALSE(load("b_v2"));
  EXPECT_EQ(count("jobs WHERE kind = 'verify'"), "1");

  IdempotencyRecord record{app_id_, "key-n", "sha-a", 201, R"({"bill":1})"};
  EXPECT_EQ(create(sample_bill("b_k1", app_id_), claim("n-verify-0123456789"), record, due),
            CreateOutcome::nonce_used);
  EXPECT_FALSE(parse_idempotency(run(select_idempotency(app_id_, "key-n", kIdempotencyKeepS))));
  EXPECT_EQ(create(sample_bill("b_k2", app_id_), claim("n-key-00000000001"), record, due),
            CreateOutcome::created);
  EXPECT_TRUE(parse_idempotency(run(select_idempotency(app_id_, "key-n", kIdempotencyKeepS))));
  EXPECT_EQ(create(sample_bill("b_k3", app_id_), claim("n-key-00000000002"), record, due),
            CreateOutcome::idempotency_key_exists);
  EXPECT_FALSE(load("b_k1"));
  EXPECT_TRUE(load("b_k2"));
  EXPECT_FALSE(load("b_k3"));
  EXPECT_EQ(count("jobs WHERE kind = 'verify'"), "2");
  EXPECT_EQ(count("nonces"), "3");
}

// Proves: two creations with one nonce in the same group commit (one transaction, as the
// writer batches them) are created then nonce_used: the second sees the first's row.
TEST_F(FoldedNonceTest, SameNonceTwiceInOneTransaction) {
  std::vector<Statement> both;
  both.push_back(insert_bill(sample_bill("b_t1", app_id_), std::nullopt, kIdempotencyKeepS, std::nullopt,
                             claim("n-twice-0123456789")));
  both.push_back(insert_bill(sample_bill("b_t2", app_id_), std::nullopt, kIdempotencyKeepS, std::nullopt,
                             claim("n-twice-0123456789")));
  auto rows = write_sync(*db_, std::move(both));
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_EQ(parse_create_outcome(rows->at(0)), CreateOutcome::created);
  EXPECT_EQ(parse_create_outcome(rows->at(1)), CreateOutcome::nonce_used);
  EXPECT_TRUE(load("b_t1"));
  EXPECT_FALSE(load("b_t2"));
}

// Proves: the outcome of each row shape; without a nonce column 'f' is the key (as before).
TEST(CreateOutcomeTest, ReadsEachRowShape) {
  auto row = [](std::vector<std::optional<std::string>> cells) {
    Rows rows;
    rows.rows.push_back(std::move(cells));
    return rows;
  };
  EXPECT_EQ(parse_create_outcome(row({"t"})), CreateOutcome::created);
  EXPECT_EQ(parse_create_outcome(row({"f"})), CreateOutcome::idempotency_key_exists);
  EXPECT_EQ(parse_create_outcome(row({"t", "t"})), CreateOutcome::created);
  EXPECT_EQ(parse_create_outcome(row({"f", "t"})), CreateOutcome::idempotency_key_exists);
  EXPECT_EQ(parse_create_outcome(row({"f", "f"})), CreateOutcome::nonce_used);
  EXPECT_EQ(parse_create_outcome(Rows{}), CreateOutcome::idempotency_key_exists);
}

}  // namespace
}  // namespace unipay::storage::test
