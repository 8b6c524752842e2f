// actors/wallet_actor: the wallet actor on CAF's deterministic test_coordinator, with its
// storage faked (the test decides when each read, lookup and commit completes and what it
// returns), so batching, the queue limit, lost compare-and-sets and the hold timer are
// exact and repeatable.
#include "actors/wallet_actor.hpp"

#include <gtest/gtest.h>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <thread>

#include "actors/actor_context.hpp"
#include "actors/caf_testing.hpp"
#include "actors/wallet_messages.hpp"
#include "actors/wallet_storage.hpp"

namespace unipay {
namespace {

using namespace std::chrono_literals;

const std::string kApp = "app_wallet_test";
const std::string kAccount = "acc_1";

// Holds every read, lookup and commit until the test completes it.
class FakeWalletStorage : public WalletStorage {
 public:
  struct Lookup {
    std::vector<std::string> op_ids;
    std::vector<std::string> hold_ids;
    Done<WalletLookups> done;
  };
  struct Commit {
    WalletWrite write;
    Done<std::vector<storage::CommitOutcome>> done;
  };

  void load(const std::string&, const std::string&,
            Done<std::optional<storage::AccountWithHolds>> done) override {
    loads.push_back(std::move(done));
  }
  void lookup(const std::string&, std::vector<std::string> op_ids, std::vector<std::string> hold_ids,
              Done<WalletLookups> done) override {
    lookups.push_back(Lookup{std::move(op_ids), std::move(hold_ids), std::move(done)});
  }
  void insert(const Account&, Done<InsertOutcome> done) override { inserts.push_back(std::move(done)); }
  void commit(WalletWrite write, Done<std::vector<storage::CommitOutcome>> done) override {
    commits.push_back(Commit{std::move(write), std::move(done)});
  }

  std::deque<Done<std::optional<storage::AccountWithHolds>>> loads;
  std::deque<Lookup> lookups;
  std::deque<Done<InsertOutcome>> inserts;
  std::deque<Commit> commits;
};

storage::AccountWithHolds account_with(int64_t balance, int64_t version, std::vector<Hold> holds = {}) {
  storage::AccountWithHolds a;
  a.account.app_id = kApp;
  a.account.account_id = kAccount;
  a.account.unit = "COIN";
  a.account.balance_minor = balance;
  a.account.version = version;
  a.account.created_at = now_ms();
  a.account.updated_at = a.account.created_at;
  for (const auto& h : holds) a.account.held_minor += h.amount_minor;
  a.active_holds = std::move(holds);
  return a;
}

Hold active_hold(const std::string& hold_id, int64_t amount, Millis expires_at) {
  Hold h;
  h.hold_id = hold_id;
  h.app_id = kApp;
  h.account_id = kAccount;
  h.op_id = "op_" + hold_id;
  h.amount_minor = amount;
  h.expires_at = expires_at;
  h.created_at = now_ms();
  h.updated_at = h.created_at;
  return h;
}

class WalletActorTest : public ::testing::Test {
 protected:
  explicit WalletActorTest(size_t max_pending = 1024)
      : system_(testing_config(config_)),
        sched_(dynamic_cast<caf::scheduler::test_coordinator&>(system_.scheduler())) {
    auto context = std::make_shared<ActorContext>();
    context->wallet_storage = &storage_;
    context->config.wallets.max_pending_ops_per_account = max_pending;
    actor_ = spawn_wallet_actor(system_, context, kApp, kAccount);
    sched_.run();
  }

  ~WalletActorTest() override {
    caf::anon_send_exit(actor_, caf::exit_reason::kill);
    sched_.run();
  }

  Answer<OpResult> operate(LedgerOpKind kind, const std::string& op_id, int64_t amount) {
    LedgerOp op;
    op.kind = kind;
    op.op_id = op_id;
    op.amount_minor = amount;
    auto [reply, answer] = capture<OpResult>();
    caf::anon_send(actor_, wmsg::WalletRequest{kApp, kAccount, wmsg::Operate{op, "", {}, std::move(reply)}});
    sched_.run();
    return answer;
  }

  void finish_load(storage::AccountWithHolds account) {
    ASSERT_FALSE(storage_.loads.empty()) << "no read is running";
    auto done = std::move(storage_.loads.front());
    storage_.loads.pop_front();
    done(std::optional<storage::AccountWithHolds>(std::move(account)));
    sched_.run();
  }

  // Completes the oldest lookup: no op_id was used before, no hold asked for exists.
  void finish_lookup() {
    ASSERT_FALSE(storage_.lookups.empty()) << "no lookup is running";
    auto done = std::move(storage_.lookups.front().done);
    storage_.lookups.pop_front();
    done(WalletLookups{});
    sched_.run();
  }

  // Completes the oldest commit: its first `applied` compare-and-sets apply (all by default).
  void finish_commit(std::optional<size_t> applied = std::nullopt) {
    ASSERT_FALSE(storage_.commits.empty()) << "no commit is running";
    auto commit = std::move(storage_.commits.front());
    storage_.commits.pop_front();
    std::vector<storage::CommitOutcome> outcomes;
    for (size_t i = 0; i < commit.write.commits.size(); ++i) {
      const bool ok = !applied || i < *applied;
      outcomes.push_back(storage::CommitOutcome{ok, false, ok ? int64_t(100 + i) : 0});
    }
    commit.done(std::move(outcomes));
    sched_.run();
  }

  caf::actor_system_config config_;
  caf::actor_system system_;
  caf::scheduler::test_coordinator& sched_;
  FakeWalletStorage storage_;
  caf::actor actor_;
};

// Proves the hot-account path: debits that arrive while a commit runs are decided together
// against the running balance and committed in ONE write (consecutive versions), and none
// is answered before that write commits.
TEST_F(WalletActorTest, OpsWaitingDuringACommit_AreDecidedInOrderAndCommittedTogether) {
  auto first = operate(LedgerOpKind::debit, "d0", 10);
  finish_load(account_with(100, 5));
  finish_lookup();
  ASSERT_EQ(storage_.commits.size(), 1u);
  std::vector<Answer<OpResult>> waiting;
  for (int i = 1; i <= 9; ++i) {
    std::string op_id = "d";  // appended: g++ 12 -O3 warns a false -Wrestrict on "lit" + std::string
    waiting.push_back(operate(LedgerOpKind::debit, op_id.append(std::to_string(i)), 10));
  }
  EXPECT_TRUE(storage_.lookups.empty()) << "nothing starts while a commit runs";
  finish_commit();
  ASSERT_TRUE(first->has_value());
  ASSERT_TRUE(first->value().ok());
  EXPECT_EQ(first->value()->account.balance_minor, 90);
  finish_lookup();
  ASSERT_EQ(storage_.commits.size(), 1u) << "one write for the nine waiting debits";
  const auto& commits = storage_.commits.front().write.commits;
  ASSERT_EQ(commits.size(), 9u);
  for (size_t i = 0; i < commits.size(); ++i) {
    EXPECT_EQ(commits[i].expected_version, 6 + int64_t(i)) << "consecutive compare-and-sets";
    EXPECT_EQ(commits[i].result.account.balance_minor, 80 - 10 * int64_t(i));
  }
  for (const auto& w : waiting) EXPECT_FALSE(w->has_value()) << "answered only after the commit";
  finish_commit();
  for (size_t i = 0; i < waiting.size(); ++i) {
    ASSERT_TRUE(waiting[i]->has_value());
    ASSERT_TRUE(waiting[i]->value().ok());
    EXPECT_FALSE(waiting[i]->value()->error);
    EXPECT_EQ(waiting[i]->value()->entry->entry_id, 100 + int64_t(i));
  }
  EXPECT_EQ(waiting.back()->value()->account.balance_minor, 0);
}

// Proves a batch refuses what the running balance cannot pay, without a write for it.
TEST_F(WalletActorTest, ABatchRefusesAnOverdraftAgainstTheRunningBalance) {
  auto a = operate(LedgerOpKind::debit, "a", 60);
  auto b = operate(LedgerOpKind::debit, "b", 60);
  finish_load(account_with(100, 1));
  finish_lookup();
  ASSERT_EQ(storage_.commits.size(), 1u);
  EXPECT_EQ(storage_.commits.front().write.commits.size(), 1u) << "only the first debit is written";
  EXPECT_FALSE(b->has_value()) << "a refusal is answered after the commit it depends on";
  finish_commit();
  ASSERT_TRUE(a->value().ok());
  EXPECT_FALSE(a->value()->error);
  ASSERT_TRUE(b->value().ok());
  EXPECT_EQ(b->value()->error, Errc::insufficient_balance);
}

// Proves a lost compare-and-set (another writer changed the account) answers what applied
// before it, re-reads the account and decides the rest again.
TEST_F(WalletActorTest, ALostCompareAndSet_RereadsAndDecidesTheRestAgain) {
  auto a = operate(LedgerOpKind::credit, "a", 5);
  auto b = operate(LedgerOpKind::credit, "b", 7);
  finish_load(account_with(0, 1));
  finish_lookup();
  finish_commit(1);  // "b" lost its compare-and-set
  ASSERT_TRUE(a->has_value());
  EXPECT_FALSE(b->has_value());
  ASSERT_EQ(storage_.loads.size(), 1u) << "the account is read again";
  finish_load(account_with(105, 3));  // another node credited 100 meanwhile
  finish_lookup();
  ASSERT_EQ(storage_.commits.size(), 1u);
  EXPECT_EQ(storage_.commits.front().write.commits[0].expected_version, 3);
  finish_commit();
  ASSERT_TRUE(b->value().ok());
  EXPECT_EQ(b->value()->account.balance_minor, 112);
}

// Proves a write refused as a whole (an op_id another account recorded at the same
// instant: a unique-key conflict) is retried one operation per write, so only the refused
// operation answers the refusal and the other one still applies.
TEST_F(WalletActorTest, AWriteRefusedAsAWhole_RetriesOnePerWrite) {
  auto a = operate(LedgerOpKind::credit, "taken", 5);
  auto b = operate(LedgerOpKind::credit, "fine", 7);
  finish_load(account_with(0, 1));
  finish_lookup();
  ASSERT_EQ(storage_.commits.size(), 1u);
  ASSERT_EQ(storage_.commits.front().write.commits.size(), 2u);
  auto refuse = [&] {
    auto commit = std::move(storage_.commits.front());
    storage_.commits.pop_front();
    commit.done(make_error(Errc::conflict, "op_id already used"));
    sched_.run();
  };
  refuse();
  EXPECT_FALSE(a->has_value());
  EXPECT_FALSE(b->has_value());
  finish_lookup();
  ASSERT_EQ(storage_.commits.size(), 1u);
  EXPECT_EQ(storage_.commits.front().write.commits.size(), 1u) << "one operation per write now";
  refuse();
  ASSERT_TRUE(a->has_value());
  ASSERT_FALSE(a->value().ok());
  EXPECT_EQ(a->value().error().code, Errc::conflict);
  finish_lookup();
  finish_commit();
  ASSERT_TRUE(b->has_value());
  ASSERT_TRUE(b->value().ok());
  EXPECT_EQ(b->value()->account.balance_minor, 7);
}

// Proves the same when the refused write held one commit among several operations: the
// operation that wrote nothing gets its own answer, not the write's refusal.
TEST_F(WalletActorTest, AWriteRefusedAsAWhole_NeverAnswersAnotherOperationsRefusal) {
  auto overdraft = operate(LedgerOpKind::debit, "too-much", 50);
  auto taken = operate(LedgerOpKind::credit, "taken", 5);
  finish_load(account_with(0, 1));
  finish_lookup();
  ASSERT_EQ(storage_.commits.size(), 1u);
  auto commit = std::move(storage_.commits.front());
  storage_.commits.pop_front();
  commit.done(make_error(Errc::conflict, "op_id already used"));
  sched_.run();
  finish_lookup();  // the debit alone: refused without a write
  ASSERT_TRUE(overdraft->has_value());
  ASSERT_TRUE(overdraft->value().ok());
  EXPECT_EQ(overdraft->value()->error, Errc::insufficient_balance);
  EXPECT_FALSE(taken->has_value());
}

class SmallQueueTest : public WalletActorTest {
 protected:
  SmallQueueTest() : WalletActorTest(2) {}
};

// Proves the per-account queue is bounded: beyond wallets.max_pending_ops_per_account an
// operation is refused busy at once, and the queued ones still complete.
TEST_F(SmallQueueTest, BeyondTheQueueLimit_Busy) {
  auto first = operate(LedgerOpKind::credit, "c0", 1);
  finish_load(account_with(0, 1));
  finish_lookup();  // c0 is committing; the queue is empty
  auto q1 = operate(LedgerOpKind::credit, "c1", 1);
  auto q2 = operate(LedgerOpKind::credit, "c2", 1);
  auto refused = operate(LedgerOpKind::credit, "c3", 1);
  ASSERT_TRUE(refused->has_value());
  ASSERT_FALSE(refused->value().ok());
  EXPECT_EQ(refused->value().error().code, Errc::busy);
  finish_commit();
  finish_lookup();
  finish_commit();
  ASSERT_TRUE(q1->has_value() && q1->value().ok());
  ASSERT_TRUE(q2->has_value() && q2->value().ok());
  EXPECT_EQ(q2->value()->account.balance_minor, 3);
}

// Proves the hold timer: an active hold is expired at its expires_at without any request,
// through the actor's own commit (hold expired, held released).
TEST_F(WalletActorTest, AHoldExpiresByTimer) {
  auto read = capture<Account>();
  caf::anon_send(actor_, wmsg::WalletRequest{kApp, kAccount, wmsg::Read{read.first}});
  sched_.run();
  finish_load(account_with(50, 2, {active_hold("h_1", 30, now_ms() + 30ms)}));
  ASSERT_TRUE(read.second->has_value());
  EXPECT_TRUE(storage_.commits.empty()) << "not due yet";
  std::this_thread::sleep_for(40ms);
  sched_.advance_time(1s);
  sched_.run();
  ASSERT_EQ(storage_.commits.size(), 1u) << "the timer expired the hold";
  const auto& commit = storage_.commits.front().write.commits.at(0);
  ASSERT_TRUE(commit.result.hold);
  EXPECT_EQ(commit.result.hold->state, HoldState::expired);
  EXPECT_EQ(commit.result.account.held_minor, 0);
  finish_commit();
}

// Proves a hold already due when the account is read (after a restart) is expired at once.
TEST_F(WalletActorTest, AHoldDueAtLoad_ExpiresAtOnce) {
  caf::anon_send(actor_, wmsg::WalletRequest{kApp, kAccount, wmsg::Wake{}});
  sched_.run();
  finish_load(account_with(50, 2, {active_hold("h_2", 20, now_ms() - 1s)}));
  ASSERT_EQ(storage_.commits.size(), 1u);
  EXPECT_EQ(storage_.commits.front().write.commits.at(0).result.hold->state, HoldState::expired);
  finish_commit();
}

}  // namespace
}  // namespace unipay
