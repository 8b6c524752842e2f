// actors/verify_actor: one query of one verify job on CAF's deterministic test_coordinator,
// with the bill service, the querier and the job writes faked (the test decides what each
// returns and when), so what the actor does with every answer is exact and repeatable.
#include "actors/verify_actor.hpp"

#include <gtest/gtest.h>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <deque>
#include <memory>

#include "actors/actor_context.hpp"
#include "actors/bill_querier.hpp"
#include "actors/bill_service.hpp"
#include "actors/bill_storage.hpp"
#include "actors/caf_testing.hpp"
#include "actors/delivery_messages.hpp"

namespace unipay {
namespace {

using namespace std::chrono_literals;

const std::string kBillId = "b_verify_actor_test_000000001";

class FakeBills : public BillService {
 public:
  struct Applied {
    BillEvent event;
    std::optional<storage::CallbackAudit> audit;
    Callback<EventResult> done;
  };
  void create(Bill, std::optional<storage::IdempotencyRecord>, std::optional<storage::NonceClaim>,
              Callback<CreateResult>) override {}
  void get(const std::string&, Callback<Bill> done) override { gets.push_back(std::move(done)); }
  uint64_t wait(const std::string&, WaitUntil, std::chrono::milliseconds, Callback<WaitResult>) override {
    return 0;
  }
  void abandon_wait(const std::string&, uint64_t) override {}
  void apply(const std::string&, BillEvent event, std::optional<storage::CallbackAudit> audit,
             Callback<EventResult> done) override {
    applied.push_back(Applied{std::move(event), std::move(audit), std::move(done)});
  }
  void confirm_delivery(const std::string&, storage::DeliveryAttempt, Callback<EventResult>) override {}
  void refresh(const std::string&) override {}

  std::deque<Callback<Bill>> gets;
  std::deque<Applied> applied;
};

class FakeQuerier : public BillQuerier {
 public:
  bool can_query(std::string_view channel) const override { return channel == "alipay"; }
  void query(const Bill& bill, const std::string& receipt,
             std::function<void(Result<QueryAnswer>)> done) override {
    asked.push_back(bill.bill_id);
    receipts.push_back(receipt);
    answers.push_back(std::move(done));
  }
  std::vector<std::string> asked;
  std::vector<std::string> receipts;
  std::deque<std::function<void(Result<QueryAnswer>)>> answers;
};

class FakeStorage : public BillStorage {
 public:
  void load(const std::string&, LoadDone) override {}
  void commit(std::vector<storage::Statement> statements, storage::WriteDone done) override {
    commits.push_back({std::move(statements), std::move(done)});
  }
  std::deque<std::pair<std::vector<storage::Statement>, storage::WriteDone>> commits;
};

Bill bill_at(BillState state) {
  Bill bill;
  bill.bill_id = kBillId;
  bill.app_id = "app_test";
  bill.channel = "alipay";
  bill.amount_minor = 699;
  bill.currency = "CNY";
  bill.state = state;
  bill.version = state == BillState::created ? 1 : 2;
  bill.created_at = now_ms() - 2min;
  bill.expires_at = now_ms() + 28min;
  return bill;
}

QueryAnswer paid_answer() { return {QueryOutcome::paid, "T-9", 699, "CNY", "provider says paid"}; }

// What the dispatcher heard: one entry per AttemptEnded (when the job is due again).
using Reports = std::shared_ptr<std::vector<std::optional<std::chrono::milliseconds>>>;

class VerifyActorTest : public ::testing::Test {
 protected:
  VerifyActorTest()
      : system_(testing_config(config_)),
        sched_(dynamic_cast<caf::scheduler::test_coordinator&>(system_.scheduler())),
        reports_(std::make_shared<Reports::element_type>()) {
    context_ = std::make_shared<ActorContext>();
    context_->bills = &bills_;
    context_->querier = &querier_;
    context_->bill_storage = &storage_;
    context_->lease_owner = "node-a";
    context_->verify_dispatcher =
        // `reports` goes in as a spawn argument, not a capture: CAF 0.17 binds a reference to
        // a null argument tuple for function actors spawned without arguments (UBSan).
        system_.spawn(
            [](caf::event_based_actor*, Reports reports) -> caf::behavior {
              return {[reports](msg::AttemptEnded& m) { reports->push_back(m.retry_in); }};
            },
            reports_);
    storage::Job job{42, "verify", kBillId, 1, now_ms(), now_ms() - 2min, "", "app_test"};
    actor_ = spawn_verify_attempt(system_, context_, kBillId, job);
    sched_.run();
  }

  ~VerifyActorTest() override {
    caf::anon_send_exit(context_->verify_dispatcher, caf::exit_reason::kill);
    sched_.run();
  }

  void bill_is(Result<Bill> bill) {
    ASSERT_EQ(bills_.gets.size(), 1u);
    bills_.gets.front()(std::move(bill));
    bills_.gets.pop_front();
    sched_.run();
  }

  void provider_says(Result<QueryAnswer> answer) {
    ASSERT_EQ(querier_.answers.size(), 1u);
    querier_.answers.front()(std::move(answer));
    querier_.answers.pop_front();
    sched_.run();
  }

  // The one job write made; completed as "the lease was still ours".
  std::string job_write() {
    EXPECT_EQ(storage_.commits.size(), 1u);
    if (storage_.commits.empty()) return "";
    auto [statements, done] = std::move(storage_.commits.front());
    storage_.commits.pop_front();
    EXPECT_EQ(statements.size(), 1u);
    EXPECT_EQ(statements.back().params.at(1), "node-a") << "job writes name the lease holder";
    storage::Rows one;
    one.rows.push_back({std::string("42")});
    done(std::vector<storage::Rows>{one});
    sched_.run();
    return statements.back().sql;
  }

  caf::actor_system_config config_;
  caf::actor_system system_;
  caf::scheduler::test_coordinator& sched_;
  FakeBills bills_;
  FakeQuerier querier_;
  FakeStorage storage_;
  Reports reports_;
  std::shared_ptr<ActorContext> context_;
  caf::actor actor_;
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Proves: a verify job carrying a receipt (an Apple transactionId the App Store did not
// answer at verify time) hands that receipt to the querier, and a paid answer naming the
// store's item reaches the bill actor as store_item_id (app store payments are judged by
// the item); a job without one asks with an empty receipt (a query by bill).
TEST_F(VerifyActorTest, ReceiptJobChecksItsReceiptAndCarriesTheItem) {
  bill_is(bill_at(BillState::created));
  ASSERT_EQ(querier_.receipts, std::vector<std::string>{""});
  provider_says(make_error(Errc::server_busy, "unreachable"));
  job_write();
  storage::Job job{43, "verify", kBillId, 0, now_ms(), now_ms(), "", "app_test", "2000000123"};
  spawn_verify_attempt(system_, context_, kBillId, job);
  sched_.run();
  bill_is(bill_at(BillState::created));
  ASSERT_EQ(querier_.receipts, (std::vector<std::string>{"", "2000000123"}));
  QueryAnswer paid = paid_answer();
  paid.item_id = "gem_500";
  provider_says(paid);
  ASSERT_EQ(bills_.applied.size(), 1u);
  EXPECT_EQ(bills_.applied.front().event.kind, BillEventKind::provider_success);
  EXPECT_EQ(bills_.applied.front().event.store_item_id, "gem_500");
}

// Proves: a provider that says paid moves the bill through its bill actor exactly as a
// callback would (provider_success with the provider's trade number, amount and currency,
// an audit row marked "query"); the transition deletes the job, so the actor writes none
// and tells the dispatcher it is done with no retry.
TEST_F(VerifyActorTest, PaidGoesToTheBillActorAsACallbackWould) {
  bill_is(bill_at(BillState::created));
  ASSERT_EQ(querier_.asked, std::vector<std::string>{kBillId});
  provider_says(paid_answer());
  ASSERT_EQ(bills_.applied.size(), 1u);
  const auto& applied = bills_.applied.front();
  EXPECT_EQ(applied.event.kind, BillEventKind::provider_success);
  EXPECT_EQ(applied.event.app_id, "app_test");
  EXPECT_EQ(applied.event.trade_no, "T-9");
  EXPECT_EQ(applied.event.amount_minor, 699);
  EXPECT_EQ(applied.event.currency, "CNY");
  ASSERT_TRUE(applied.audit);
  EXPECT_EQ(applied.audit->channel, "alipay");
  EXPECT_EQ(applied.audit->detail, "query");
  applied.done(EventResult{bill_at(BillState::paid), Verdict::apply, "paid"});
  sched_.run();
  EXPECT_TRUE(storage_.commits.empty());
  ASSERT_EQ(reports_->size(), 1u);
  EXPECT_FALSE(reports_->front().has_value());
}

// Proves: "not paid" before expiry reschedules the job (attempt 2, a backoff of at least
// half of query_after) and the dispatcher learns when it is due again.
TEST_F(VerifyActorTest, PendingIsRescheduled) {
  bill_is(bill_at(BillState::created));
  provider_says(QueryAnswer{QueryOutcome::pending, "", 0, "", "provider says pending"});
  EXPECT_TRUE(contains(job_write(), "next_attempt_at = now() +"));
  ASSERT_EQ(reports_->size(), 1u);
  ASSERT_TRUE(reports_->front().has_value());
  EXPECT_GE(*reports_->front(), 30s);
  EXPECT_TRUE(bills_.applied.empty());
}

// Proves: a provider that cannot be reached is retried (rescheduled), and an answer that
// can never succeed (no credentials for the channel) dead-letters the job at once.
TEST_F(VerifyActorTest, UnreachableIsRetried) {
  bill_is(bill_at(BillState::created));
  provider_says(make_error(Errc::server_busy, "Alipay answered HTTP 503"));
  EXPECT_TRUE(contains(job_write(), "next_attempt_at = now() +"));
  ASSERT_EQ(reports_->size(), 1u);
  EXPECT_TRUE(reports_->front().has_value());
}

TEST_F(VerifyActorTest, RefusedQueryIsDeadLettered) {
  bill_is(bill_at(BillState::created));
  provider_says(make_error(Errc::invalid_parameter, "channel alipay is not configured for the app"));
  EXPECT_TRUE(contains(job_write(), "dead_at = now()"));
  ASSERT_EQ(reports_->size(), 1u);
  EXPECT_FALSE(reports_->front().has_value());
}

// Proves: a bill already settled (a callback came first) drops its job without asking
// the provider.
TEST_F(VerifyActorTest, SettledBillDropsItsJobWithoutAQuery) {
  bill_is(bill_at(BillState::paid));
  EXPECT_TRUE(querier_.asked.empty());
  EXPECT_TRUE(contains(job_write(), "DELETE FROM jobs"));
  EXPECT_EQ(reports_->size(), 1u);
}

// Proves: when the bill actor refuses the provider's word (another amount: an alert), the
// job is dead-lettered, never retried; when it is only busy, the job is retried.
TEST_F(VerifyActorTest, BillActorRefusalDeadLettersBusyRetries) {
  bill_is(bill_at(BillState::created));
  provider_says(paid_answer());
  ASSERT_EQ(bills_.applied.size(), 1u);
  bills_.applied.front().done(make_error(Errc::conflict, "amount mismatch"));
  sched_.run();
  EXPECT_TRUE(contains(job_write(), "dead_at = now()"));
}

TEST_F(VerifyActorTest, BusyBillActorIsRetried) {
  bill_is(bill_at(BillState::created));
  provider_says(paid_answer());
  ASSERT_EQ(bills_.applied.size(), 1u);
  bills_.applied.front().done(make_error(Errc::busy, "too many requests queued on this bill"));
  sched_.run();
  EXPECT_TRUE(contains(job_write(), "next_attempt_at = now() +"));
  ASSERT_EQ(reports_->size(), 1u);
  EXPECT_TRUE(reports_->front().has_value());
}

}  // namespace
}  // namespace unipay
