// Bill queries against a real PostgreSQL: list filters with cursor paging, expiry sweep.
#include "storage/bill_store.hpp"
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

// Only `created` bills past their expiry are swept, the longest expired first, at most
// `limit` of them.
TEST_F(BillQueryTest, ExpiredBillsAreCreatedAndPastExpiryOldestFirst) {
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
  // The fixture's b_* bills expire 30 minutes from now.
  auto ids = [&](int limit) {
    Rows rows = run(select_expired_bills(limit));
    Ids out;
    for (size_t i = 0; i < rows.size(); ++i) out.push_back(rows.text(i, 0));
    return out;
  };
  EXPECT_EQ(ids(10), (Ids{"e_2", "e_1"}));
  EXPECT_EQ(ids(1), (Ids{"e_2"}));
}

}  // namespace
}  // namespace unipay::storage::test
