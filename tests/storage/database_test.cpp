// Database against a real PostgreSQL: group commit, per-op failure isolation, limits,
// reads, connection loss on the writer.
#include "storage/database.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <iostream>
#include <mutex>
#include <thread>

#include "scratch_database.hpp"

namespace unipay::storage::scratch {
namespace {

using namespace std::chrono_literals;
using WriteResult = Result<std::vector<Rows>>;

Statement insert_row(int id) {
  return {"INSERT INTO t (id, v) VALUES ($1, $2)", {std::to_string(id), "v" + std::to_string(id)}};
}

std::future<WriteResult> write_async(Database& db, std::vector<Statement> statements) {
  auto done = std::make_shared<std::promise<WriteResult>>();
  auto answer = done->get_future();
  db.write(std::move(statements), [done](WriteResult r) { done->set_value(std::move(r)); });
  return answer;
}

Result<Rows> read_sync(Database& db, Statement statement) {
  auto done = std::make_shared<std::promise<Result<Rows>>>();
  auto answer = done->get_future();
  db.read(std::move(statement), [done](Result<Rows> r) { done->set_value(std::move(r)); });
  return answer.get();
}

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (scratch_.conninfo().empty()) GTEST_SKIP() << "UNIPAY_TEST_DATABASE_URL is not set";
    check_ = scratch_.connect();
    ASSERT_TRUE(check_);
    auto made =
        pg::exec_script(check_.get(), "CREATE TABLE t (id int PRIMARY KEY, v text, version bigint DEFAULT 1)",
                        Errc::storage_write);
    ASSERT_TRUE(made.ok()) << made.error().message;
  }

  std::unique_ptr<Database> open(DatabaseOptions options = {}) {
    options.conninfo = scratch_.conninfo();
    auto db = Database::open(options);
    EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().message);
    return db.ok() ? std::move(*db) : nullptr;
  }

  // A number from another session (not the Database under test).
  int64_t scalar(const std::string& sql) {
    auto rows = pg::exec(check_.get(), {sql, {}}, Errc::storage_read);
    EXPECT_TRUE(rows.ok()) << sql << ": " << (rows.ok() ? "" : rows.error().message);
    return rows.ok() && !rows->empty() ? std::stoll(rows->text(0, 0)) : -1;
  }

  int64_t backend_pid(const char* role) {
    return scalar(std::string("SELECT coalesce(max(pid), 0) FROM pg_stat_activity WHERE ") +
                  "datname = current_database() AND application_name = '" + role + "'");
  }

  // Sojourn bounds of 100 ms (admit) and 300 ms (max wait), the delay gate out of reach:
  // only the sojourn rules refuse new work.
  static DatabaseOptions sojourn_only() {
    DatabaseOptions options;
    options.admission = {std::chrono::seconds(10), std::chrono::seconds(10)};
    options.new_work_sojourn = {std::chrono::milliseconds(100), std::chrono::milliseconds(300)};
    return options;
  }

  // Keeps the writer busy `seconds` long, so the ops queued meanwhile share the next batch.
  std::future<WriteResult> hold_writer(Database& db, double seconds) {
    auto held = write_async(db, {{"SELECT pg_sleep($1)", {std::to_string(seconds)}}});
    EXPECT_TRUE(eventually([&] { return db.stats().write_queue_depth == 0; }));
    return held;
  }

  ScratchDatabase scratch_;
  pg::Conn check_;
};

// Proves group commit: concurrent ops are committed in far fewer transactions than ops.
TEST_F(DatabaseTest, GroupCommitCommitsManyOpsInFewBatches) {
  auto db = open();
  ASSERT_TRUE(db);
  constexpr int kThreads = 4, kPerThread = 1500;
  Countdown done;
  std::atomic<int> failures{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        db->write({insert_row(t * kPerThread + i)}, [&](WriteResult r) {
          if (!r.ok()) failures.fetch_add(1);
          done.add();
        });
      }
    });
  }
  for (auto& p : producers) p.join();
  ASSERT_TRUE(done.wait_for(kThreads * kPerThread, 60s));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM t"), kThreads * kPerThread);
  const auto stats = db->stats();
  EXPECT_EQ(stats.write_ops, uint64_t{kThreads * kPerThread});
  EXPECT_LT(stats.write_batches, stats.write_ops / 4);
  std::cout << "[ measure  ] " << stats.write_ops << " ops in " << stats.write_batches << " batches ("
            << double(stats.write_ops) / double(stats.write_batches) << " ops/batch), "
            << double(stats.write_ops) / seconds << " ops/s\n";
}

// Proves `done` runs only after COMMIT: another session already sees the row inside it.
TEST_F(DatabaseTest, CallbackRunsAfterCommit) {
  auto db = open();
  ASSERT_TRUE(db);
  std::promise<int64_t> seen;
  db->write({insert_row(7)}, [&](WriteResult r) {
    EXPECT_TRUE(r.ok());
    seen.set_value(scalar("SELECT count(*) FROM t WHERE id = 7"));
  });
  EXPECT_EQ(seen.get_future().get(), 1);
}

// Proves failure isolation: a failing op in a group fails alone, atomically (its first
// statement is undone), while the others in that batch commit; a unique violation (class
// 23) is answered conflict with a client-safe message that does not echo the server's.
TEST_F(DatabaseTest, FailingOpFailsAloneWhileTheBatchCommits) {
  auto db = open();
  ASSERT_TRUE(db);
  ASSERT_TRUE(write_async(*db, {insert_row(1)}).get().ok());
  const auto batches_before = db->stats().write_batches;
  auto held = hold_writer(*db, 0.5);
  auto good1 = write_async(*db, {insert_row(2)});
  auto bad = write_async(*db, {insert_row(3), insert_row(1)});  // 1 exists: 23505
  auto good2 = write_async(*db, {insert_row(4), {"SELECT v FROM t WHERE id = $1", {"4"}}});
  ASSERT_TRUE(held.get().ok());
  auto b = bad.get();
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, Errc::conflict);
  EXPECT_EQ(b.error().message.find("23505"), std::string::npos) << b.error().message;
  EXPECT_EQ(b.error().message.find("SQLSTATE"), std::string::npos) << b.error().message;
  EXPECT_TRUE(good1.get().ok());
  auto g2 = good2.get();
  ASSERT_TRUE(g2.ok());
  ASSERT_EQ(g2->size(), 2u);
  EXPECT_EQ((*g2)[1].text(0, 0), "v4");                      // one Rows per statement, in order
  EXPECT_EQ(db->stats().write_batches, batches_before + 2);  // hold + the shared batch
  EXPECT_EQ(scalar("SELECT count(*) FROM t WHERE id IN (2, 4)"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM t WHERE id = 3"), 0);
  EXPECT_EQ(db->stats().write_errors, 1u);
}

// n ops queued behind a held writer, so they share one batch; op `poisoned` is `bad`.
std::vector<std::future<WriteResult>> batch_with_one_bad(Database& db, int n, int poisoned, Statement bad,
                                                         int first_id) {
  std::vector<std::future<WriteResult>> ops;
  for (int i = 0; i < n; ++i)
    ops.push_back(write_async(db, {i == poisoned ? bad : insert_row(first_id + i)}));
  return ops;
}

// Proves the writer finds the bad op of a failed batch by halving: with one poisoned op
// among 64 (first, middle or last), the 63 others commit, the poisoned one gets the
// positive refusal of its SQLSTATE class (22: jsonb cannot hold U+0000 → invalid_parameter;
// 23: a taken primary key → conflict) with a message that echoes no server text, and the
// batch costs at most 2·log2(64) + 1 = 13 transactions (re-running each op alone took 65).
TEST_F(DatabaseTest, PoisonedOpOfABatchIsFoundByHalvingAndRefused) {
  auto db = open();
  ASSERT_TRUE(db);
  ASSERT_TRUE(write_async(*db, {insert_row(0)}).get().ok());
  constexpr int kOps = 64;
  const Statement bad_json{"SELECT $1::jsonb", {R"({"x": "\u0000"})"}};
  const Statement taken_key = insert_row(0);
  struct Case {
    int poisoned;
    Statement bad;
    Errc expected;
  };
  int next_id = 1;
  for (const Case& c :
       {Case{0, bad_json, Errc::invalid_parameter}, Case{kOps / 2 + 3, bad_json, Errc::invalid_parameter},
        Case{kOps - 1, taken_key, Errc::conflict}, Case{17, taken_key, Errc::conflict}}) {
    SCOPED_TRACE("poisoned op " + std::to_string(c.poisoned));
    const auto before = db->stats();
    auto held = hold_writer(*db, 0.3);
    auto ops = batch_with_one_bad(*db, kOps, c.poisoned, c.bad, next_id);
    ASSERT_TRUE(held.get().ok());
    for (int i = 0; i < kOps; ++i) {
      auto r = ops[i].get();
      if (i != c.poisoned) {
        EXPECT_TRUE(r.ok()) << i << ": " << r.error().message;
        continue;
      }
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().code, c.expected);
      EXPECT_EQ(r.error().message.find("SQLSTATE"), std::string::npos) << r.error().message;
    }
    const auto after = db->stats();
    EXPECT_EQ(after.write_batches - before.write_batches, 2u) << "the hold, then all 64 ops in one batch";
    EXPECT_LE(after.write_transactions - before.write_transactions, 1u + 13u);
    std::cout << "[ measure  ] poisoned op " << c.poisoned << " of " << kOps << ": "
              << after.write_transactions - before.write_transactions - 1 << " transactions\n";
    EXPECT_EQ(after.write_errors - before.write_errors, 1u);
    EXPECT_EQ(scalar("SELECT count(*) FROM t WHERE id BETWEEN " + std::to_string(next_id) + " AND " +
                     std::to_string(next_id + kOps - 1)),
              kOps - 1);
    next_id += kOps;
  }
}

// Proves a text parameter with an embedded NUL is refused (invalid_parameter), never
// stored cut short at the NUL: on writes (before it can share a batch), reads and
// run_blocking alike; the op next to it in the queue commits.
TEST_F(DatabaseTest, NulInTextParameterIsRefusedNeverTruncated) {
  auto db = open();
  ASSERT_TRUE(db);
  const std::string with_nul("T1\0hidden", 9);
  auto held = hold_writer(*db, 0.3);
  auto refused = write_async(*db, {{"INSERT INTO t (id, v) VALUES ($1, $2)", {"1", with_nul}}});
  auto fine = write_async(*db, {insert_row(2)});
  ASSERT_TRUE(held.get().ok());
  auto r = refused.get();
  ASSERT_FALSE(r.ok()) << "stored as " << scalar("SELECT length(v) FROM t WHERE id = 1") << " characters";
  EXPECT_EQ(r.error().code, Errc::invalid_parameter);
  EXPECT_TRUE(fine.get().ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM t WHERE id = 1"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM t WHERE id = 2"), 1);

  auto read = read_sync(*db, {"SELECT count(*) FROM t WHERE v = $1", {with_nul}});
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, Errc::invalid_parameter);
  auto blocking = db->run_blocking({"INSERT INTO t (id, v) VALUES ($1, $2)", {"3", with_nul}});
  ASSERT_FALSE(blocking.ok());
  EXPECT_EQ(blocking.error().code, Errc::invalid_parameter);
  EXPECT_EQ(scalar("SELECT count(*) FROM t WHERE id = 3"), 0);
  // Everything else travels whole: bytes after other control characters included.
  const std::string controls(
      "a\x01"
      "b\tc\x7f",
      6);
  ASSERT_TRUE(write_async(*db, {{"INSERT INTO t (id, v) VALUES ($1, $2)", {"4", controls}}}).get().ok());
  EXPECT_EQ(scalar("SELECT length(v) FROM t WHERE id = 4"), 6);
}

// Proves a compare-and-set that matches no row is a normal result (affected = 0), not an
// error that would roll back the other ops of its batch.
TEST_F(DatabaseTest, CompareAndSetMissDoesNotAbortTheBatch) {
  auto db = open();
  ASSERT_TRUE(db);
  ASSERT_TRUE(write_async(*db, {insert_row(1)}).get().ok());
  auto held = hold_writer(*db, 0.5);
  const Statement cas{"UPDATE t SET v = 'x', version = version + 1 WHERE id = $1 AND version = $2",
                      {"1", "99"}};
  auto miss = write_async(*db, {cas});
  auto other = write_async(*db, {insert_row(2)});
  ASSERT_TRUE(held.get().ok());
  auto m = miss.get();
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ((*m)[0].affected, 0);
  EXPECT_TRUE(other.get().ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM t WHERE id = 2"), 1);
}

// Proves a large batch cannot deadlock on full socket buffers: megabytes go out (parameters)
// and come back (RETURNING) in one pipeline while the connection stays blocking.
TEST_F(DatabaseTest, LargeBatchDoesNotDeadlock) {
  auto db = open();
  ASSERT_TRUE(db);
  auto held = hold_writer(*db, 0.5);
  const std::string big(32 * 1024, 'x');
  std::vector<std::future<WriteResult>> ops;
  for (int i = 0; i < 512; ++i) {
    ops.push_back(
        write_async(*db, {{"INSERT INTO t (id, v) VALUES ($1, $2) RETURNING v", {std::to_string(i), big}}}));
  }
  ASSERT_TRUE(held.get().ok());
  for (auto& op : ops) {
    ASSERT_EQ(op.wait_for(60s), std::future_status::ready);
    auto r = op.get();
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)[0].text(0, 0).size(), big.size());
  }
  EXPECT_LE(db->stats().write_batches, 3u);  // hold + one (or two) batches of 512
}

// Proves the configured queue limits: beyond them, write and read answer busy at once.
TEST_F(DatabaseTest, FullQueuesAnswerBusy) {
  DatabaseOptions options;
  options.write_queue_limit_ops = 2;
  options.read_queue_limit_ops = 1;
  options.reader_connections = 1;
  auto db = open(options);
  ASSERT_TRUE(db);
  auto held = hold_writer(*db, 1.0);
  auto q1 = write_async(*db, {insert_row(1)});
  auto q2 = write_async(*db, {insert_row(2)});
  auto refused = write_async(*db, {insert_row(3)});
  ASSERT_EQ(refused.wait_for(0s), std::future_status::ready);  // answered inside write()
  EXPECT_EQ(refused.get().error().code, Errc::busy);

  std::promise<void> reader_busy;
  db->read({"SELECT pg_sleep(1)", {}}, [&](Result<Rows>) { reader_busy.set_value(); });
  ASSERT_TRUE(eventually([&] { return db->stats().read_queue_depth == 0; }));
  std::promise<Result<Rows>> queued, busy;
  db->read({"SELECT 1", {}}, [&](Result<Rows> r) { queued.set_value(std::move(r)); });
  db->read({"SELECT 1", {}}, [&](Result<Rows> r) { busy.set_value(std::move(r)); });
  auto b = busy.get_future();
  ASSERT_EQ(b.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(b.get().error().code, Errc::busy);
  EXPECT_TRUE(queued.get_future().get().ok());
  EXPECT_TRUE(q1.get().ok() && q2.get().ok() && held.get().ok());
  EXPECT_EQ(db->stats().write_refused, 1u);
  EXPECT_EQ(db->stats().read_refused, 1u);
}

// Proves reads return rows (NULL as "" and is_null), bad SQL is storage_read with a
// message that does not echo the server's, and run_blocking works outside the pools.
TEST_F(DatabaseTest, ReadsReturnRowsAndErrorsAreStorageRead) {
  auto db = open();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->run_blocking(insert_row(5)).ok());
  auto rows = read_sync(*db, {"SELECT id, v, NULL::text FROM t WHERE id = $1", {"5"}});
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->text(0, 1), "v5");
  EXPECT_TRUE(rows->is_null(0, 2));
  EXPECT_EQ(rows->text(0, 2), "");
  auto bad = read_sync(*db, {"SELEKT nonsense", {}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::storage_read);
  EXPECT_EQ(bad.error().message.find("42601"), std::string::npos) << "logged, not answered";
  EXPECT_EQ(db->stats().read_errors, 1u);
}

// Proves a lost writer connection fails that batch's ops with storage_write (outcome
// unknown), and the writer reconnects so later writes succeed.
TEST_F(DatabaseTest, WriterConnectionLossFailsTheBatchThenRecovers) {
  auto db = open();
  ASSERT_TRUE(db);
  ASSERT_TRUE(write_async(*db, {insert_row(1)}).get().ok());
  const int64_t writer = backend_pid("unipay-writer");
  ASSERT_GT(writer, 0);
  auto held = hold_writer(*db, 0.5);
  auto slow = write_async(*db, {{"SELECT pg_sleep(5)", {}}});
  auto with_it = write_async(*db, {insert_row(2)});
  ASSERT_TRUE(held.get().ok());
  ASSERT_TRUE(eventually([&] {
    return scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = " + std::to_string(writer) +
                  " AND query = 'SELECT pg_sleep(5)' AND state = 'active'") == 1;
  }));
  EXPECT_EQ(scalar("SELECT pg_terminate_backend(" + std::to_string(writer) + ")::int"), 1);
  for (auto* op : {&slow, &with_it}) {
    auto r = op->get();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::storage_write);
    EXPECT_NE(r.error().message.find("outcome unknown"), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM t WHERE id = 2"), 0);
  auto later = write_async(*db, {insert_row(3)}).get();
  EXPECT_TRUE(later.ok()) << later.error().message;
  EXPECT_GE(db->stats().writer_reconnects, 1u);
  EXPECT_NE(backend_pid("unipay-writer"), writer);
}

// Proves a writer connection lost while idle is noticed before the next batch is sent,
// so no op fails for it.
TEST_F(DatabaseTest, IdleWriterConnectionLossIsHealedBeforeTheNextBatch) {
  auto db = open();
  ASSERT_TRUE(db);
  ASSERT_TRUE(write_async(*db, {insert_row(1)}).get().ok());
  const int64_t writer = backend_pid("unipay-writer");
  EXPECT_EQ(scalar("SELECT pg_terminate_backend(" + std::to_string(writer) + ")::int"), 1);
  ASSERT_TRUE(eventually([&] { return backend_pid("unipay-writer") == 0; }));
  auto r = write_async(*db, {insert_row(2)}).get();
  EXPECT_TRUE(r.ok()) << r.error().message;
}

// Proves ops still queued when the Database is destroyed complete with storage_write.
TEST_F(DatabaseTest, DestructionCompletesQueuedOps) {
  auto db = open();
  ASSERT_TRUE(db);
  auto held = hold_writer(*db, 0.5);
  auto queued = write_async(*db, {insert_row(1)});
  db.reset();
  EXPECT_TRUE(held.get().ok());  // the batch in flight finishes
  auto r = queued.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::storage_write);
}

// Proves the reserved room: new work is refused (overloaded) once only the reserved room is
// left, accepted work still queues in it, and the accepted op commits ahead of new work
// that queued before it.
TEST_F(DatabaseTest, ReservedRoomKeepsAcceptedWorkAndCommitsItFirst) {
  DatabaseOptions options;
  options.write_queue_limit_ops = 3;
  options.write_queue_reserved_ops = 1;
  auto db = open(options);
  ASSERT_TRUE(db);
  std::mutex mu;
  std::vector<int> order;
  auto write = [&](int id, WriteClass write_class) {
    auto done = std::make_shared<std::promise<WriteResult>>();
    auto answer = done->get_future();
    db->write(
        {insert_row(id)},
        [&, id, done](WriteResult r) {
          {
            std::lock_guard lock(mu);
            order.push_back(id);
          }
          done->set_value(std::move(r));
        },
        write_class);
    return answer;
  };
  auto held = hold_writer(*db, 1.0);
  auto first_new = write(1, WriteClass::new_work);
  auto second_new = write(2, WriteClass::new_work);
  auto refused = write(3, WriteClass::new_work);
  ASSERT_EQ(refused.wait_for(0s), std::future_status::ready);  // answered inside write()
  EXPECT_EQ(refused.get().error().code, Errc::overloaded);
  auto accepted = write(4, WriteClass::accepted_work);
  ASSERT_TRUE(held.get().ok());
  for (auto* op : {&first_new, &second_new, &accepted}) ASSERT_TRUE(op->get().ok());
  std::lock_guard lock(mu);
  EXPECT_EQ(order, (std::vector<int>{3, 4, 1, 2}));  // 3: the refusal, answered at once
}

// Proves admission control on the writer: a queue that stays stalled past the target for
// an interval stops admitting new work; once it drains, new work is admitted again.
TEST_F(DatabaseTest, StalledWriterStopsAdmittingNewWorkUntilItDrains) {
  DatabaseOptions options;
  options.admission = {50ms, 100ms};
  auto db = open(options);
  ASSERT_TRUE(db);
  EXPECT_TRUE(db->admits_new_work());
  auto held = hold_writer(*db, 1.0);
  auto queued = write_async(*db, {insert_row(1)});
  EXPECT_TRUE(db->admits_new_work());  // a fresh queue is no reason to refuse
  EXPECT_TRUE(eventually([&] { return !db->admits_new_work(); }, 800ms));
  EXPECT_GE(db->stats().write_queue_delay_ms, 50);
  ASSERT_TRUE(held.get().ok());
  ASSERT_TRUE(queued.get().ok());
  EXPECT_TRUE(eventually([&] { return db->admits_new_work(); }, 1s));
}

// Proves the sojourn bounds on new work (storage/new_work_sojourn.hpp): while a queued
// write has waited longer than admit_wait, new work is refused at once (the delay gate set
// out of reach: no interval is needed); a creation still queued after max_wait is refused
// overloaded and not written, while accepted work queued beside it commits; once the queue
// drains, new work is admitted again.
TEST_F(DatabaseTest, NewWorkWaitingTooLongIsRefusedAndNotWritten) {
  auto db = open(sojourn_only());
  ASSERT_TRUE(db);
  auto held = hold_writer(*db, 0.8);
  auto write = [&](int id, WriteClass write_class) {
    auto done = std::make_shared<std::promise<WriteResult>>();
    auto answer = done->get_future();
    db->write(
        {insert_row(id)}, [done](WriteResult r) { done->set_value(std::move(r)); }, write_class);
    return answer;
  };
  auto creation = write(1, WriteClass::new_work);
  auto accepted = write(2, WriteClass::accepted_work);
  EXPECT_TRUE(db->admits_new_work());  // queued just now
  EXPECT_TRUE(eventually([&] { return !db->admits_new_work(); }, 400ms));
  ASSERT_TRUE(held.get().ok());
  auto refused = creation.get();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::overloaded);
  ASSERT_TRUE(accepted.get().ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM t WHERE id = 1"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM t WHERE id = 2"), 1);
  EXPECT_EQ(db->stats().write_expired, 1u);
  EXPECT_TRUE(eventually([&] { return db->admits_new_work(); }, 1s));
  ASSERT_TRUE(write(3, WriteClass::new_work).get().ok());  // fresh new work commits again
}

// Proves a creation held behind a stalled commit is refused when its max_wait is up, by the
// next admission check (or submit), not only when the stall ends: the writer thread is
// blocked in libpq and cannot sweep its own queue.
TEST_F(DatabaseTest, NewWorkHeldByAStalledCommitIsRefusedOnTime) {
  auto db = open(sojourn_only());
  ASSERT_TRUE(db);
  auto held = hold_writer(*db, 2.0);
  auto done = std::make_shared<std::promise<WriteResult>>();
  auto creation = done->get_future();
  db->write(
      {insert_row(1)}, [done](WriteResult r) { done->set_value(std::move(r)); }, WriteClass::new_work);
  std::this_thread::sleep_for(400ms);  // past max_wait, well inside the 2 s stall
  EXPECT_FALSE(db->admits_new_work());
  ASSERT_EQ(creation.wait_for(0s), std::future_status::ready);  // answered by that check
  EXPECT_EQ(creation.get().error().code, Errc::overloaded);
  ASSERT_TRUE(held.get().ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM t WHERE id = 1"), 0);
}

}  // namespace
}  // namespace unipay::storage::scratch
