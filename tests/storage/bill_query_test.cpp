// Bill queries against a real PostgreSQL: list filters with cursor paging, expiry sweep.
#include "storage/bill_store.hpp"
#include "storage/pg_connection.hpp"
#include "storage/store_fixture.hpp"

namespace unipay::storage::test {
namespace {

using std::chrono::seconds;
using Ids = std::vector<std::string>;

class BillQueryTest : public StoreTest {
 protected:
  // Seven bills of app1, one a second, plus one of app2:
  // id   user channel  state
  // b_1  u1   sandbox  created     b_5  u2   sandbox  created
  // b_2  u2   alipay   created     b_6  u1   sandbox  created
  // b_3  u1   sandbox  paid        b_7  u1   sandbox  created
  // b_4  u1   alipay   closed
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    struct Row {
      const char* user;
      const char* channel;
      BillState state;
    };
    const Row rows[] = {{"u1", "sandbox", BillState::created}, {"u2", "alipay", BillState::created},
                        {"u1", "sandbox", BillState::paid},    {"u1", "alipay", BillState::closed},
                        {"u2", "sandbox", BillState::created}, {"u1", "sandbox", BillState::created},
                        {"u1", "sandbox", BillState::created}};
    for (int i = 0; i < 7; ++i) {
      Bill b = sample_bill("b_" + std::to_string(i + 1), app_id_);
      b.user_id = rows[i].user;
      b.channel = rows[i].channel;
      b.state = rows[i].state;
      b.created_at = base_ + seconds{i};
      insert(b);
    }
    add_app("app2");
    insert(sample_bill("b_9", "app2"));
  }

  Ids list(const BillQuery& query) {
    Rows rows = run(list_bills(query));
    Ids ids;
    for (size_t i = 0; i < rows.size(); ++i) {
      auto bill = parse_bill(rows, i);
      ids.push_back(bill ? bill->bill_id : "<unparsable>");
    }
    return ids;
  }

  BillQuery query() const {
    BillQuery q;
    q.app_id = app_id_;
    q.limit = 50;
    return q;
  }

  const Millis base_ = now_ms();
};

// Newest first, limit+1 rows; the cursor continues strictly after the last bill shown.
TEST_F(BillQueryTest, PagesNewestFirstWithCursor) {
  BillQuery q = query();
  q.limit = 3;
  EXPECT_EQ(list(q), (Ids{"b_7", "b_6", "b_5", "b_4"}));
  q.after_bill_id = "b_5";
  EXPECT_EQ(list(q), (Ids{"b_4", "b_3", "b_2", "b_1"}));
  q.after_bill_id = "b_2";
  EXPECT_EQ(list(q), (Ids{"b_1"}));
}

// Each filter narrows by its own column; together they combine; other apps stay hidden.
TEST_F(BillQueryTest, FiltersCombine) {
  BillQuery q = query();
  q.user_id = "u1";
  EXPECT_EQ(list(q), (Ids{"b_7", "b_6", "b_4", "b_3", "b_1"}));
  q = query();
  q.state = BillState::created;
  EXPECT_EQ(list(q), (Ids{"b_7", "b_6", "b_5", "b_2", "b_1"}));
  q = query();
  q.channel = "alipay";
  EXPECT_EQ(list(q), (Ids{"b_4", "b_2"}));
  q = query();
  q.from = base_ + seconds{2};  // inclusive
  q.to = base_ + seconds{5};    // exclusive
  EXPECT_EQ(list(q), (Ids{"b_5", "b_4", "b_3"}));
  q = query();
  q.user_id = "u1";
  q.channel = "sandbox";
  q.state = BillState::created;
  EXPECT_EQ(list(q), (Ids{"b_7", "b_6", "b_1"}));
  q = query();
  q.app_id = "app2";
  EXPECT_EQ(list(q), (Ids{"b_9"}));
}

// Only `created` bills past their expiry are claimed, the longest expired first, at most
// `limit` of them; the cursor moves a sweep past what it claimed, even when those bills stay
// `created` (an event that did not close them), so a sweep never claims a bill twice.
TEST_F(BillQueryTest, ExpiredBillsAreClaimedOldestFirstAfterTheCursor) {
  const Millis now = now_ms();
  auto add = [&](const std::string& id, BillState state, seconds from_now) {
    Bill b = sample_bill(id, app_id_);
    b.state = state;
    b.expires_at = now + from_now;
    insert(b);
  };
  add("e_1", BillState::created, seconds{-10});
  add("e_2", BillState::created, seconds{-20});
  add("e_3", BillState::paid, seconds{-30});
  add("e_4", BillState::created, seconds{600});
  add("e_5", BillState::created, seconds{-10});  // the same expiry as e_1: bill_id breaks the tie
  // The fixture's b_* bills expire 30 minutes from now.
  auto ids = [&](const Rows& rows) {
    Ids out;
    for (size_t i = 0; i < rows.size(); ++i) out.push_back(rows.text(i, 0));
    return out;
  };
  EXPECT_EQ(ids(run(claim_expired_bills({}, 10))), (Ids{"e_2", "e_1", "e_5"}));
  Rows first = run(claim_expired_bills({}, 2));
  EXPECT_EQ(ids(first), (Ids{"e_2", "e_1"}));
  ExpiryCursor cursor = next_expiry_cursor(first, {});
  EXPECT_EQ(cursor.bill_id, "e_1");
  Rows second = run(claim_expired_bills(cursor, 2));
  EXPECT_EQ(ids(second), (Ids{"e_5"}));
  cursor = next_expiry_cursor(second, cursor);
  EXPECT_TRUE(run(claim_expired_bills(cursor, 2)).empty());
  EXPECT_EQ(next_expiry_cursor(Rows{}, cursor).bill_id, "e_5") << "an empty claim keeps the cursor";
}

// Proves the claim skips a bill whose row another transaction holds (a transition being
// committed right now) instead of waiting for it: SKIP LOCKED.
TEST_F(BillQueryTest, ExpiryClaimSkipsBillsBeingCommitted) {
  for (const char* id : {"e_1", "e_2"}) {
    Bill b = sample_bill(id, app_id_);
    b.expires_at = now_ms() - seconds{60};
    insert(b);
  }
  auto holder = pg::connect(conninfo_, "test-holder", Errc::storage_read);
  ASSERT_TRUE(holder.ok());
  ASSERT_TRUE(pg::exec_script(holder->get(), "BEGIN", Errc::storage_write).ok());
  ASSERT_TRUE(pg::exec(holder->get(), {"UPDATE bills SET version = version WHERE bill_id = 'e_1'", {}},
                       Errc::storage_write)
                  .ok());
  const auto start = std::chrono::steady_clock::now();
  Rows claimed = run(claim_expired_bills({}, 10));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2)) << "it did not wait";
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed.text(0, 0), "e_2");
  ASSERT_TRUE(pg::exec_script(holder->get(), "ROLLBACK", Errc::storage_write).ok());
}

}  // namespace
}  // namespace unipay::storage::test
