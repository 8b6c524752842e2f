// actors/bill_actor: the bill actor on CAF's deterministic test_coordinator, with its storage
// faked (the test decides when each read and commit completes and what it returns), so
// interleavings of notifications, reads, commits and deadlines are exact and repeatable.
#include "actors/bill_actor.hpp"

#include <gtest/gtest.h>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <deque>
#include <memory>
#include <optional>

#include "actors/actor_context.hpp"
#include "actors/bill_messages.hpp"
#include "actors/bill_querier.hpp"
#include "actors/bill_storage.hpp"
#include "actors/caf_testing.hpp"
#include "actors/coarse_timer.hpp"
#include "actors/delivery_messages.hpp"

namespace unipay {
namespace {

using namespace std::chrono_literals;

const std::string kBillId = "b_bill_actor_test_00000000001";
constexpr size_t kMaxWaiters = 3;  // server.max_waiters_per_bill in these tests

// Holds every read and commit until the test completes it.
class FakeBillStorage : public BillStorage {
 public:
  struct Commit {
    std::vector<storage::Statement> statements;
    storage::WriteDone done;
  };

  void load(const std::string&, LoadDone done) override { loads.push_back(std::move(done)); }
  void commit(std::vector<storage::Statement> statements, storage::WriteDone done) override {
    commits.push_back(Commit{std::move(statements), std::move(done)});
  }

  std::deque<LoadDone> loads;
  std::deque<Commit> commits;
};

Bill bill_at(BillState state, int64_t version) {
  Bill bill;
  bill.bill_id = kBillId;
  bill.app_id = "app_test";
  bill.user_id = "u_1";
  bill.item_id = "gem_100";
  bill.channel = "sandbox";
  bill.amount_minor = 100;
  bill.currency = "USD";
  bill.state = state;
  bill.version = version;
  bill.created_at = now_ms();
  bill.expires_at = bill.created_at + 30min;
  if (state != BillState::created) bill.provider_trade_no = "t_1";
  return bill;
}

BillEvent event_of(BillEventKind kind) {
  BillEvent event;
  event.kind = kind;
  event.app_id = "app_test";
  event.trade_no = "t_1";
  event.amount_minor = 100;
  event.currency = "USD";
  return event;
}

class BillActorTest : public ::testing::Test {
 protected:
  explicit BillActorTest(bool coarse_timer = false)
      : system_(testing_config(config_)),
        sched_(dynamic_cast<caf::scheduler::test_coordinator&>(system_.scheduler())) {
    auto context = std::make_shared<ActorContext>();
    context->bill_storage = &storage_;
    // `heard` goes in as a spawn argument, not a capture: CAF 0.17 binds a reference to a
    // null argument tuple for function actors spawned without arguments (UBSan).
    context->dispatcher = system_.spawn(
        [](caf::event_based_actor*, decltype(heard_) heard) -> caf::behavior {
          return {[heard](msg::DeliverNow& m) { heard->push_back(std::move(m)); }};
        },
        heard_);
    dispatcher_ = context->dispatcher;
    context->config.server.max_waiters_per_bill = kMaxWaiters;
    if (coarse_timer) {
      timer_ = spawn_coarse_timer(system_, CoarseTimerLimits{20ms, 100});
      context->timer = timer_;
    }
    actor_ = spawn_bill_actor(system_, context, kBillId);
    sched_.run();
  }

  ~BillActorTest() override {
    caf::anon_send_exit(actor_, caf::exit_reason::kill);
    caf::anon_send_exit(dispatcher_, caf::exit_reason::kill);
    if (timer_) caf::anon_send_exit(timer_, caf::exit_reason::kill);
    sched_.run();
  }

  template <class Command>
  void send(Command command) {
    caf::anon_send(actor_, msg::BillRequest{kBillId, std::move(command)});
    sched_.run();
  }

  void notify(int64_t version) { send(msg::Refresh{version}); }

  Answer<Bill> get() {
    auto [reply, answer] = capture<Bill>();
    send(msg::Get{std::move(reply)});
    return answer;
  }

  Answer<WaitResult> wait(WaitUntil until, std::chrono::milliseconds timeout = 60s, uint64_t wait_id = 0) {
    auto [reply, answer] = capture<WaitResult>();
    send(msg::Wait{until, timeout, std::move(reply), wait_id});
    return answer;
  }

  void abandon(uint64_t wait_id) { send(msg::Abandon{wait_id}); }

  // A delivery confirmation carries its 2xx attempt, as the delivery actor sends it.
  Answer<EventResult> apply(BillEventKind kind, const std::string& attempt_key = "attempt-1") {
    auto [reply, answer] = capture<EventResult>();
    std::optional<storage::DeliveryAttempt> attempt;
    if (kind == BillEventKind::delivery_confirmed) attempt = attempt_2xx(attempt_key);
    send(msg::Event{event_of(kind), std::nullopt, std::move(reply), std::move(attempt)});
    return answer;
  }

  static storage::DeliveryAttempt attempt_2xx(const std::string& key) {
    storage::DeliveryAttempt a;
    a.attempt_key = key;
    a.bill_id = kBillId;
    a.attempt = 1;
    a.http_status = 200;
    return a;
  }

  // Completes the oldest commit as a write whose statements return no row (an INSERT), or
  // with `error`.
  void finish_plain_commit(std::optional<Error> error = std::nullopt) {
    ASSERT_FALSE(storage_.commits.empty()) << "no commit is running";
    auto done = std::move(storage_.commits.front().done);
    storage_.commits.pop_front();
    if (error) {
      done(*error);
    } else {
      done(std::vector<storage::Rows>{storage::Rows{}});
    }
    sched_.run();
  }

  // Whether `statement` carries the value `text` as a parameter.
  static bool has_param(const storage::Statement& statement, const std::string& text) {
    for (const auto& p : statement.params)
      if (p == text) return true;
    return false;
  }

  // Completes the oldest read with `row`.
  void finish_load(Result<std::optional<Bill>> row) {
    ASSERT_FALSE(storage_.loads.empty()) << "no read is running";
    auto done = std::move(storage_.loads.front());
    storage_.loads.pop_front();
    done(std::move(row));
    sched_.run();
  }
  void finish_load(const Bill& bill) { finish_load(std::optional<Bill>(bill)); }

  // Completes the oldest commit: the compare-and-set applied or lost, as the transition
  // statement reports it (one row, column 0).
  // Completes the oldest commit with the transition statement's row: applied (compare-and-set
  // won), the NOTIFY column, and whether another bill already holds the trade number.
  // With job_leased, the row also carries the delivery job the transition leased here.
  void finish_commit(bool applied, bool trade_no_taken = false, bool job_leased = false) {
    ASSERT_FALSE(storage_.commits.empty()) << "no commit is running";
    auto done = std::move(storage_.commits.front().done);
    storage_.commits.pop_front();
    storage::Rows rows;
    rows.rows.push_back(
        {std::string(applied ? "t" : "f"), std::nullopt, std::string(trade_no_taken ? "t" : "f")});
    for (const char* column : {"42", "delivery", kBillId.c_str(), "0", "1700000000000", "1700000000000", ""})
      rows.rows[0].push_back(job_leased ? std::optional<std::string>(column) : std::nullopt);
    done(std::vector<storage::Rows>{rows});
    sched_.run();
  }

  // The actor holds `bill`, with a long poll for delivery parked on it.
  Answer<WaitResult> park_delivery_poll(const Bill& bill) {
    auto poll = wait(WaitUntil::delivered);
    finish_load(bill);
    EXPECT_FALSE(poll->has_value()) << "the poll must be parked";
    EXPECT_TRUE(storage_.loads.empty());
    return poll;
  }

  caf::actor_system_config config_;
  caf::actor_system system_;
  caf::scheduler::test_coordinator& sched_;
  caf::actor timer_;  // only with coarse_timer
  FakeBillStorage storage_;
  // What the dispatcher was sent (DeliverNow after a commit that leased a delivery job).
  std::shared_ptr<std::vector<msg::DeliverNow>> heard_ = std::make_shared<std::vector<msg::DeliverNow>>();
  caf::actor dispatcher_;
  caf::actor actor_;
};

// Proves the issue 7 scenario: the `paid` (v2) notification starts a read; the `delivered`
// (v3) notification arrives while it runs; the read returns v2. The actor reads again and
// the `until=delivered` poll answers delivered (it used to stay parked on `paid`).
TEST_F(BillActorTest, NotificationDuringARead_ReadsAgainAndWakesThePoll) {
  auto poll = park_delivery_poll(bill_at(BillState::created, 1));
  notify(2);
  ASSERT_EQ(storage_.loads.size(), 1u);
  notify(3);  // during the read of v2
  EXPECT_EQ(storage_.loads.size(), 1u) << "one read at a time";
  finish_load(bill_at(BillState::paid, 2));
  EXPECT_FALSE(poll->has_value());
  ASSERT_EQ(storage_.loads.size(), 1u) << "v3 was notified during the read of v2: read again";
  finish_load(bill_at(BillState::delivered, 3));
  ASSERT_TRUE(poll->has_value());
  ASSERT_TRUE(poll->value().ok());
  EXPECT_EQ(poll->value()->bill.state, BillState::delivered);
  EXPECT_FALSE(poll->value()->timed_out);
  EXPECT_TRUE(storage_.loads.empty());
}

// Proves a "re-read everything" (version 0, the LISTEN connection came back) that arrives
// during a read is not dropped: whatever that read returns, the actor reads once more.
TEST_F(BillActorTest, RefreshAllDuringARead_ReadsAgain) {
  auto poll = park_delivery_poll(bill_at(BillState::created, 1));
  notify(2);
  notify(0);
  finish_load(bill_at(BillState::paid, 2));
  ASSERT_EQ(storage_.loads.size(), 1u) << "notifications may have been lost while disconnected";
  finish_load(bill_at(BillState::delivered, 3));
  ASSERT_TRUE(poll->has_value());
  EXPECT_EQ(poll->value()->bill.state, BillState::delivered);
  EXPECT_TRUE(storage_.loads.empty());
}

// Proves re-reading is bounded: a notification the running read already shows causes no
// second read, and a read that started after a notification but still shows an older row
// (the notified version never becomes visible) is accepted, not retried in a loop.
TEST_F(BillActorTest, RereadsAreBoundedByNotifications) {
  park_delivery_poll(bill_at(BillState::created, 1));
  notify(2);
  notify(3);
  finish_load(bill_at(BillState::delivered, 3));  // the read already shows v3
  EXPECT_TRUE(storage_.loads.empty());

  notify(5);  // a version no read will ever show
  ASSERT_EQ(storage_.loads.size(), 1u);
  auto got = get();
  finish_load(bill_at(BillState::delivered, 3));
  EXPECT_TRUE(storage_.loads.empty()) << "the read started after the notification: no loop";
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(got->value()->version, 3);
}

// Proves a notification whose read fails is still owed: the next request reads first and
// is answered from the newer row, not the stale one.
TEST_F(BillActorTest, FailedReadAfterANotification_NextRequestReadsAgain) {
  park_delivery_poll(bill_at(BillState::created, 1));
  notify(2);
  finish_load(make_error(Errc::storage_read, "connection lost"));
  EXPECT_TRUE(storage_.loads.empty());
  auto got = get();
  EXPECT_FALSE(got->has_value()) << "the held row is known to be stale";
  ASSERT_EQ(storage_.loads.size(), 1u);
  finish_load(bill_at(BillState::paid, 2));
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(got->value()->state, BillState::paid);
}

// Proves notifications of versions the actor holds, or is committing itself, cause no read.
TEST_F(BillActorTest, OwnVersionsCauseNoRead) {
  park_delivery_poll(bill_at(BillState::created, 1));
  notify(1);
  EXPECT_TRUE(storage_.loads.empty());
  apply(BillEventKind::provider_success);
  ASSERT_EQ(storage_.commits.size(), 1u);
  notify(2);  // our own commit's NOTIFY, before the writer answered
  finish_commit(true);
  EXPECT_TRUE(storage_.loads.empty());
}

// Proves a waiter is woken by a transition this actor commits, after COMMIT and not before.
TEST_F(BillActorTest, TransitionWakesWaiterAfterCommit) {
  auto poll = wait(WaitUntil::paid);
  finish_load(bill_at(BillState::created, 1));
  auto paid = apply(BillEventKind::provider_success);
  ASSERT_EQ(storage_.commits.size(), 1u);
  EXPECT_FALSE(poll->has_value());
  EXPECT_FALSE(paid->has_value());
  finish_commit(true);
  ASSERT_TRUE(paid->has_value());
  ASSERT_TRUE(paid->value().ok());
  EXPECT_EQ(paid->value()->verdict, Verdict::apply);
  EXPECT_EQ(paid->value()->bill.version, 2);
  ASSERT_TRUE(poll->has_value());
  EXPECT_EQ(poll->value()->bill.state, BillState::paid);
  EXPECT_FALSE(poll->value()->timed_out);
}

// Proves the paid commit's leased delivery job goes to the dispatcher with DeliverNow (the
// attempt starts without reading the job back), and that a paid commit whose job another
// process holds (no job in the row) sends nothing: that process attempts it.
TEST_F(BillActorTest, PaidCommitHandsItsLeasedJobToTheDispatcher) {
  auto paid = apply(BillEventKind::provider_success);
  finish_load(bill_at(BillState::created, 1));
  finish_commit(true, false, true);
  ASSERT_TRUE(paid->has_value() && paid->value().ok());
  ASSERT_EQ(heard_->size(), 1u);
  EXPECT_EQ(heard_->front().bill_id, kBillId);
  EXPECT_EQ(heard_->front().app_id, "app_test");
  ASSERT_TRUE(heard_->front().job);
  EXPECT_EQ(heard_->front().job->job_id, 42);
  EXPECT_EQ(heard_->front().job->attempt, 0);
}

TEST_F(BillActorTest, PaidCommitWithoutALeasedJobSendsNoDelivery) {
  auto paid = apply(BillEventKind::provider_success);
  finish_load(bill_at(BillState::created, 1));
  finish_commit(true);
  ASSERT_TRUE(paid->has_value() && paid->value().ok());
  EXPECT_TRUE(heard_->empty());
}

// Proves a long poll answers at its deadline with the bill as held and timed_out set.
TEST_F(BillActorTest, DeadlineAnswersTimedOut) {
  auto poll = wait(WaitUntil::paid, 5s);
  finish_load(bill_at(BillState::created, 1));
  sched_.advance_time(4s);
  sched_.run();
  EXPECT_FALSE(poll->has_value());
  sched_.advance_time(1s);
  sched_.run();
  ASSERT_TRUE(poll->has_value());
  ASSERT_TRUE(poll->value().ok());
  EXPECT_TRUE(poll->value()->timed_out);
  EXPECT_EQ(poll->value()->bill.state, BillState::created);
}

class BillActorCoarseTimerTest : public BillActorTest {
 protected:
  BillActorCoarseTimerTest() : BillActorTest(/*coarse_timer=*/true) {}
};

// Proves a long poll's deadline through the coarse timer (server.timer_tick_ms) still answers
// timed out, not before its time and at most one 20 ms step after it.
TEST_F(BillActorCoarseTimerTest, DeadlineAnswersTimedOutOnTheTick) {
  auto poll = wait(WaitUntil::paid, 5s);
  finish_load(bill_at(BillState::created, 1));
  sched_.advance_time(4999ms);
  sched_.run();
  EXPECT_FALSE(poll->has_value());
  sched_.advance_time(21ms);
  sched_.run();
  ASSERT_TRUE(poll->has_value());
  ASSERT_TRUE(poll->value().ok());
  EXPECT_TRUE(poll->value()->timed_out);
}

// Proves events arriving during a commit wait for it and are then decided on the committed
// row, one commit at a time, while reads are answered at once from the last committed row.
TEST_F(BillActorTest, EventsDuringACommitAreQueued) {
  get();
  finish_load(bill_at(BillState::created, 1));
  auto paid = apply(BillEventKind::provider_success);
  auto delivered = apply(BillEventKind::delivery_confirmed);
  ASSERT_EQ(storage_.commits.size(), 1u) << "one commit at a time";
  EXPECT_FALSE(delivered->has_value());
  auto got = get();
  ASSERT_TRUE(got->has_value()) << "reads do not wait for a commit";
  EXPECT_EQ(got->value()->version, 1) << "nothing is shown before COMMIT";
  finish_commit(true);
  EXPECT_EQ(paid->value()->bill.state, BillState::paid);
  EXPECT_FALSE(delivered->has_value());
  ASSERT_EQ(storage_.commits.size(), 1u) << "the queued event is decided on the paid row";
  finish_commit(true);
  ASSERT_TRUE(delivered->has_value());
  EXPECT_EQ(delivered->value()->bill.state, BillState::delivered);
  EXPECT_EQ(delivered->value()->bill.version, 3);
}

// Proves a newer notification during a commit is read after it, and a lost compare-and-set
// re-reads the row and decides the event again on it.
TEST_F(BillActorTest, NotificationDuringACommitAndLostCompareAndSet) {
  auto poll = park_delivery_poll(bill_at(BillState::created, 1));
  auto paid = apply(BillEventKind::provider_success);
  notify(3);  // another node is ahead
  finish_commit(false);
  ASSERT_EQ(storage_.loads.size(), 1u);
  EXPECT_FALSE(paid->has_value());
  finish_load(bill_at(BillState::delivered, 3));
  ASSERT_TRUE(paid->has_value());
  ASSERT_TRUE(paid->value().ok());
  EXPECT_EQ(paid->value()->verdict, Verdict::ignore) << "the same trade was already paid";
  ASSERT_TRUE(poll->has_value());
  EXPECT_EQ(poll->value()->bill.state, BillState::delivered);
}

// Proves a success whose trade number another bill holds is answered 409 conflict, leaves the
// bill as it was and reads nothing (the statement decided it; no retry can help).
TEST_F(BillActorTest, TakenTradeNumberIsAConflictAndChangesNothing) {
  park_delivery_poll(bill_at(BillState::created, 1));
  auto paid = apply(BillEventKind::provider_success);
  ASSERT_EQ(storage_.commits.size(), 1u);
  finish_commit(false, /*trade_no_taken=*/true);
  ASSERT_TRUE(paid->has_value());
  ASSERT_FALSE(paid->value().ok());
  EXPECT_EQ(paid->value().error().code, Errc::conflict);
  EXPECT_TRUE(storage_.loads.empty());
  auto got = get();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(got->value()->state, BillState::created);
}

// Proves issue 8 item 4 in the actor: an abandoned long poll is answered at once and its
// slot is free, so a bill's waiters filled by clients that went away no longer lock its
// real client out with busy until their deadlines.
TEST_F(BillActorTest, AbandonedWaiterIsAnsweredAndFreesItsSlot) {
  std::vector<Answer<WaitResult>> polls;
  polls.push_back(wait(WaitUntil::paid, 60s, 1));
  finish_load(bill_at(BillState::created, 1));
  for (uint64_t id = 2; id <= kMaxWaiters; ++id) polls.push_back(wait(WaitUntil::paid, 60s, id));
  auto refused = wait(WaitUntil::paid, 60s, 99);
  ASSERT_TRUE(refused->has_value());
  ASSERT_FALSE(refused->value().ok());
  EXPECT_EQ(refused->value().error().code, Errc::busy) << "every slot is taken";

  abandon(2);
  ASSERT_TRUE(polls[1]->has_value()) << "answered at once, not at its deadline";
  ASSERT_FALSE(polls[1]->value().ok());
  EXPECT_EQ(polls[1]->value().error().code, Errc::server_busy);
  EXPECT_FALSE(polls[0]->has_value());
  EXPECT_FALSE(polls[2]->has_value());

  auto real_client = wait(WaitUntil::paid, 60s, 100);
  EXPECT_FALSE(real_client->has_value()) << "the freed slot parks the real client's poll";
  apply(BillEventKind::provider_success);
  finish_commit(true);
  ASSERT_TRUE(real_client->has_value());
  ASSERT_TRUE(real_client->value().ok());
  EXPECT_EQ(real_client->value()->bill.state, BillState::paid);
  EXPECT_TRUE(polls[0]->has_value());
  EXPECT_TRUE(polls[2]->has_value());
}

// Proves a wait abandoned while it is queued behind the first read is answered at once and
// never parked when the read completes; the other queued wait still is.
TEST_F(BillActorTest, WaitAbandonedWhileQueuedIsNeverParked) {
  auto abandoned = wait(WaitUntil::paid, 60s, 7);
  auto kept = wait(WaitUntil::paid, 60s, 8);
  ASSERT_EQ(storage_.loads.size(), 1u);
  abandon(7);
  ASSERT_TRUE(abandoned->has_value());
  EXPECT_FALSE(abandoned->value().ok());
  finish_load(bill_at(BillState::created, 1));
  EXPECT_FALSE(kept->has_value()) << "parked";
  sched_.advance_time(60s);
  sched_.run();
  ASSERT_TRUE(kept->has_value());
  EXPECT_TRUE(kept->value()->timed_out);
}

// Proves abandoning a wait that was answered already, or that this actor never had, changes
// nothing: no second answer, no other waiter touched.
TEST_F(BillActorTest, AbandonAfterTheAnswerIsIgnored) {
  auto first = wait(WaitUntil::paid, 5s, 1);
  finish_load(bill_at(BillState::created, 1));
  auto second = wait(WaitUntil::paid, 60s, 2);
  sched_.advance_time(5s);
  sched_.run();
  ASSERT_TRUE(first->has_value());
  EXPECT_TRUE(first->value()->timed_out);
  abandon(1);
  abandon(42);
  abandon(0);
  EXPECT_TRUE(first->value().ok()) << "the deadline's answer stands";
  EXPECT_FALSE(second->has_value());
}

// Channels with a query API, as the janitor's querier reports them.
class QueryChannels : public BillQuerier {
 public:
  bool can_query(std::string_view channel) const override { return channel == "alipay"; }
  void query(const Bill&, const std::string&, std::function<void(Result<QueryAnswer>)>) override {}
};

// The statement a new bill of `channel` is committed with.
storage::Statement created_with(const std::string& channel, Bill& bill) {
  caf::actor_system_config config;
  caf::actor_system system(testing_config(config));
  auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(system.scheduler());
  FakeBillStorage storage;
  QueryChannels querier;
  auto context = std::make_shared<ActorContext>();
  context->bill_storage = &storage;
  context->querier = &querier;
  context->config.channels.query_after_s = 60s;
  bill = bill_at(BillState::created, 1);
  bill.channel = channel;
  caf::actor actor = spawn_bill_actor(system, context, kBillId);
  caf::anon_send(actor, msg::Create{bill, std::nullopt, Reply<CreateResult>([](Result<CreateResult>) {})});
  sched.run();
  EXPECT_EQ(storage.commits.size(), 1u);
  storage::Statement statement = storage.commits.front().statements.front();
  caf::anon_send_exit(actor, caf::exit_reason::kill);
  sched.run();
  return statement;
}

// Proves: a bill of a channel with a query API is committed together with its verify job,
// due channels.query_after_s after creation (one statement: never one without the other);
// a sandbox bill gets none.
TEST(BillActorCreate, QueryChannelBillsAreInsertedWithTheirVerifyJob) {
  Bill bill;
  storage::Statement alipay = created_with("alipay", bill);
  EXPECT_NE(alipay.sql.find("INSERT INTO jobs"), std::string::npos);
  const auto due = (bill.created_at + 60s).time_since_epoch().count();
  EXPECT_EQ(alipay.params.back(), std::to_string(due));
  storage::Statement sandbox = created_with("sandbox", bill);
  EXPECT_EQ(sandbox.sql.find("INSERT INTO jobs"), std::string::npos);
}

// Proves issue 10's fold: a confirmation of a paid bill commits `delivered` with its 2xx
// attempt in the one transition statement (no separate record write), and is answered
// once that commits.
TEST_F(BillActorTest, ConfirmWithRecord_OneStatementCommitsDeliveredAndTheRecord) {
  get();
  finish_load(bill_at(BillState::paid, 2));
  auto delivered = apply(BillEventKind::delivery_confirmed, "key-paid");
  ASSERT_EQ(storage_.commits.size(), 1u);
  ASSERT_EQ(storage_.commits.front().statements.size(), 1u) << "one write for the transition and the record";
  const storage::Statement& st = storage_.commits.front().statements.front();
  EXPECT_STREQ(st.name, "transition_delivered_recorded");
  EXPECT_TRUE(has_param(st, "key-paid"));
  EXPECT_FALSE(delivered->has_value()) << "nothing is answered before COMMIT";
  finish_commit(true);
  ASSERT_TRUE(delivered->has_value());
  ASSERT_TRUE(delivered->value().ok());
  EXPECT_EQ(delivered->value()->verdict, Verdict::apply);
  EXPECT_EQ(delivered->value()->bill.state, BillState::delivered);
  EXPECT_TRUE(storage_.commits.empty());
}

// Proves a late confirmation the actor ignores (the bill is already delivered) still puts
// its attempt on record, alone, and is answered `ignore` only after that write commits;
// when the write fails, the sender hears an error and retries (the insert is idempotent).
TEST_F(BillActorTest, IgnoredLateConfirm_StillRecordsTheAttempt) {
  get();
  finish_load(bill_at(BillState::delivered, 3));
  auto late = apply(BillEventKind::delivery_confirmed, "key-late");
  ASSERT_EQ(storage_.commits.size(), 1u) << "the attempt is recorded although nothing changes";
  ASSERT_EQ(storage_.commits.front().statements.size(), 1u);
  const storage::Statement& st = storage_.commits.front().statements.front();
  EXPECT_NE(st.sql.find("INSERT INTO delivery_attempts"), std::string::npos);
  EXPECT_EQ(st.sql.find("UPDATE bills"), std::string::npos);
  EXPECT_TRUE(has_param(st, "key-late"));
  EXPECT_FALSE(late->has_value()) << "answered once the record is committed";
  finish_plain_commit();
  ASSERT_TRUE(late->has_value());
  ASSERT_TRUE(late->value().ok());
  EXPECT_EQ(late->value()->verdict, Verdict::ignore);
  EXPECT_EQ(late->value()->bill.version, 3);

  auto again = apply(BillEventKind::delivery_confirmed, "key-late-2");
  ASSERT_EQ(storage_.commits.size(), 1u);
  finish_plain_commit(make_error(Errc::storage_write, "connection lost"));
  ASSERT_TRUE(again->has_value());
  ASSERT_FALSE(again->value().ok());
  EXPECT_EQ(again->value().error().code, Errc::storage_write) << "unknown: the sender confirms again";
  EXPECT_TRUE(storage_.loads.empty()) << "the bill row was not written: nothing to re-read";
}

// Proves a confirmation this copy refuses (it still reads the bill unpaid: stale) also
// records the attempt before it answers the refusal.
TEST_F(BillActorTest, RefusedConfirm_StillRecordsTheAttempt) {
  get();
  finish_load(bill_at(BillState::created, 1));
  auto refused = apply(BillEventKind::delivery_confirmed, "key-stale");
  ASSERT_EQ(storage_.commits.size(), 1u);
  EXPECT_TRUE(has_param(storage_.commits.front().statements.front(), "key-stale"));
  finish_plain_commit();
  ASSERT_TRUE(refused->has_value());
  ASSERT_FALSE(refused->value().ok());
  EXPECT_EQ(refused->value().error().code, Errc::conflict);
}

}  // namespace
}  // namespace unipay
