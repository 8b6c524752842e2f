// Job SQL against a real PostgreSQL: concurrent claims, leases, reschedule, dead letter,
// replay, and that only the lease holder writes a job.
#include "storage/job_store.hpp"

#include <algorithm>
#include <set>
#include <thread>

#include "storage/store_fixture.hpp"

namespace unipay::storage::test {
namespace {

using std::chrono::milliseconds;

class JobStoreTest : public StoreTest {
 protected:
  // n paid bills j_00001.. of app1, each with a delivery job due now.
  void add_jobs(int n) {
    run(
        {"INSERT INTO bills (bill_id, app_id, user_id, item_id, channel, bill_type, "
         "amount_minor, currency, state, version, client_token_hash, created_at, expires_at) "
         "SELECT 'j_' || lpad(g::text, 5, '0'), $1, 'u', 'i', 'sandbox', 'purchase', 100, "
         "'USD', 'paid', 2, 'h', now(), now() + interval '1 hour' "
         "FROM generate_series(1, $2::integer) g",
         {app_id_, std::to_string(n)}});
    run(
        {"INSERT INTO jobs (kind, bill_id, next_attempt_at) "
         "SELECT 'delivery', bill_id, now() FROM bills WHERE bill_id LIKE 'j\\_%'",
         {}});
  }

  // n paid bills <prefix>00001.. of `app`, each with a delivery job due `age_s` seconds ago.
  void add_app_jobs(const std::string& app, const std::string& prefix, int n, int age_s) {
    run(
        {"INSERT INTO bills (bill_id, app_id, user_id, item_id, channel, bill_type, "
         "amount_minor, currency, state, version, client_token_hash, created_at, expires_at) "
         "SELECT $3 || lpad(g::text, 5, '0'), $1, 'u', 'i', 'sandbox', 'purchase', 100, "
         "'USD', 'paid', 2, 'h', now(), now() + interval '1 hour' "
         "FROM generate_series(1, $2::integer) g",
         {app, std::to_string(n), prefix}});
    run(
        {"INSERT INTO jobs (kind, bill_id, next_attempt_at) SELECT 'delivery', bill_id, "
         "now() - $2::integer * interval '1 second' FROM bills WHERE starts_with(bill_id, $1)",
         {prefix, std::to_string(age_s)}});
  }

  std::vector<Job> claim(Database& db, const std::string& owner, milliseconds lease, int limit = 10,
                         const std::string& kind = "delivery") {
    auto rows = write_sync(db, {claim_due_jobs(kind, owner, lease, limit)});
    EXPECT_TRUE(rows.ok()) << (rows.ok() ? "" : rows.error().message);
    return rows.ok() ? parse_jobs(rows->at(0)) : std::vector<Job>{};
  }
  std::vector<Job> claim(const std::string& owner, milliseconds lease = milliseconds{60000}, int limit = 10,
                         const std::string& kind = "delivery") {
    return claim(*db_, owner, lease, limit, kind);
  }

  std::vector<std::string> bills_of(const std::vector<Job>& jobs) {
    std::vector<std::string> out;
    for (const auto& j : jobs) out.push_back(j.bill_id);
    std::sort(out.begin(), out.end());
    return out;
  }

  // The job of a bill as select_job_for_bill reads it, and its dead flag.
  std::pair<Job, bool> job_of(const std::string& bill_id) {
    Rows rows = run(select_job_for_bill("delivery", bill_id));
    auto jobs = parse_jobs(rows);
    EXPECT_EQ(jobs.size(), 1u);
    return {jobs.empty() ? Job{} : jobs[0], !rows.empty() && rows.text(0, 7) == "t"};
  }
};

// Two nodes claiming concurrently, each on its own connection, never get the same job,
// and between them they claim every job; each lease names the node that got the job.
TEST_F(JobStoreTest, ConcurrentClaimersNeverShareAJob) {
  const int total = 300;
  add_jobs(total);
  std::vector<int64_t> got[2];
  std::vector<std::thread> nodes;
  for (int n = 0; n < 2; ++n) {
    nodes.emplace_back([&, n] {
      auto db = open_database(conninfo_);
      if (!db) return;
      // Bounded, so a claim that hands out leased jobs again fails instead of spinning.
      for (int round = 0; round < total; ++round) {
        auto jobs = claim(*db, "node-" + std::to_string(n), milliseconds{60000}, 7);
        if (jobs.empty()) break;
        for (const auto& j : jobs) got[n].push_back(j.job_id);
      }
    });
  }
  for (auto& t : nodes) t.join();

  std::set<int64_t> node0(got[0].begin(), got[0].end());
  std::set<int64_t> all = node0;
  all.insert(got[1].begin(), got[1].end());
  EXPECT_EQ(node0.size(), got[0].size()) << "node 0 claimed a job twice";
  EXPECT_EQ(got[0].size() + got[1].size(), size_t(total)) << "a job was claimed twice";
  EXPECT_EQ(all.size(), size_t(total)) << "a job was never claimed";
  Rows owners = run({"SELECT job_id, lease_owner FROM jobs", {}});
  for (size_t i = 0; i < owners.size(); ++i) {
    int64_t id = std::stoll(owners.text(i, 0));
    EXPECT_EQ(owners.text(i, 1), node0.count(id) ? "node-0" : "node-1") << id;
  }
}

// A lease that ran out is claimable by another node; a live lease is not.
TEST_F(JobStoreTest, ExpiredLeaseIsClaimedAgain) {
  add_jobs(1);
  auto first = claim("node-a", milliseconds{1});
  ASSERT_EQ(first.size(), 1u);
  std::this_thread::sleep_for(milliseconds{50});
  auto second = claim("node-b");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].job_id, first[0].job_id);
  EXPECT_EQ(second[0].bill_id, "j_00001");
  EXPECT_EQ(second[0].kind, "delivery");
  EXPECT_TRUE(claim("node-a").empty());
}

// Only due, live jobs of the asked kind are claimed.
TEST_F(JobStoreTest, ClaimsOnlyDueLiveJobsOfTheKind) {
  add_jobs(3);
  run({"UPDATE jobs SET next_attempt_at = now() + interval '1 hour' WHERE bill_id = 'j_00002'", {}});
  run({"UPDATE jobs SET dead_at = now() WHERE bill_id = 'j_00003'", {}});
  run({"INSERT INTO jobs (kind, bill_id, next_attempt_at) VALUES ('verify', 'j_00003', now())", {}});
  EXPECT_EQ(bills_of(claim("node-a")), std::vector<std::string>{"j_00001"});
  auto verify = claim("node-a", milliseconds{60000}, 10, "verify");
  ASSERT_EQ(verify.size(), 1u);
  EXPECT_EQ(verify[0].kind, "verify");
  EXPECT_EQ(verify[0].bill_id, "j_00003");
}

// Only the lease holder reschedules; the job then waits its delay (held, not due) and
// records the attempt and the error; once due again any node may claim it.
TEST_F(JobStoreTest, RescheduleNeedsTheLeaseAndDelaysTheJob) {
  add_jobs(1);
  auto job = claim("node-a");
  ASSERT_EQ(job.size(), 1u);
  EXPECT_TRUE(write_one(reschedule_job(job[0].job_id, "node-b", 1, milliseconds{10000}, "stolen")).empty());
  const Millis before = now_ms();
  EXPECT_EQ(write_one(reschedule_job(job[0].job_id, "node-a", 1, milliseconds{10000}, "HTTP 500")).size(),
            1u);
  auto [stored, dead] = job_of("j_00001");
  EXPECT_FALSE(dead);
  EXPECT_EQ(stored.attempt, 1);
  EXPECT_EQ(stored.last_error, "HTTP 500");
  EXPECT_GE(stored.next_attempt_at, before + milliseconds{9000});
  EXPECT_LE(stored.next_attempt_at, now_ms() + milliseconds{11000});
  EXPECT_TRUE(claim("node-c").empty());

  EXPECT_EQ(write_one(reschedule_job(job[0].job_id, "node-a", 2, milliseconds{0}, "timeout")).size(), 1u);
  std::this_thread::sleep_for(milliseconds{20});
  auto again = claim("node-c");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempt, 2);
}

// Proves a failed attempt's reschedule holds the job only for its wait: lease_until equals
// next_attempt_at, so no actor needs to keep it, and the first claim after the wait takes it.
TEST_F(JobStoreTest, RescheduleLeaseEndsWhenTheWaitDoes) {
  add_jobs(1);
  auto job = claim("node-a", milliseconds{60000});
  ASSERT_EQ(job.size(), 1u);
  ASSERT_EQ(write_one(reschedule_job(job[0].job_id, "node-a", 1, milliseconds{300}, "HTTP 503")).size(), 1u);
  EXPECT_EQ(run({"SELECT lease_until = next_attempt_at FROM jobs", {}}).text(0, 0), "t");
  EXPECT_TRUE(claim("node-b").empty()) << "held while it waits";
  std::this_thread::sleep_for(milliseconds{350});
  auto again = claim("node-b");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempt, 1);
}

// Proves claims are fair between apps: with app1's 50 jobs all older than app2's 5, a
// claim of 10 takes both apps' jobs round-robin (app2 gets all 5), per_app caps each app,
// and a quota of 0 skips an app entirely (even though its jobs fill the scan window).
TEST_F(JobStoreTest, ClaimsShareBetweenApps) {
  add_app("app2");
  add_app_jobs(app_id_, "a1_", 50, 60);
  add_app_jobs("app2", "a2_", 5, 1);
  auto count_of = [](const std::vector<Job>& jobs, const std::string& app) {
    return std::count_if(jobs.begin(), jobs.end(), [&](const Job& j) { return j.app_id == app; });
  };
  auto claim_shared = [&](const std::string& owner, int limit, const ClaimShares& shares) {
    auto rows = write_sync(*db_, {claim_due_jobs("delivery", owner, milliseconds{60000}, limit, shares)});
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? parse_claimed_jobs(rows->at(0)) : std::vector<Job>{};
  };
  ClaimShares shares;
  shares.scan_factor = 100;
  auto first = claim_shared("node-a", 10, shares);
  ASSERT_EQ(first.size(), 10u);
  EXPECT_EQ(count_of(first, "app2"), 5) << "the younger app is not starved";
  EXPECT_EQ(count_of(first, app_id_), 5);

  shares.per_app = 3;
  auto capped = claim_shared("node-b", 10, shares);
  EXPECT_EQ(capped.size(), 3u);
  EXPECT_EQ(count_of(capped, app_id_), 3);

  add_app_jobs("app2", "b2_", 2, 1);
  ClaimShares paused;
  paused.quotas = {{app_id_, 0}};
  paused.scan_factor = 1;  // a window of 10 rows: app1 alone would fill it
  auto others = claim_shared("node-c", 10, paused);
  ASSERT_EQ(others.size(), 2u);
  EXPECT_EQ(count_of(others, "app2"), 2);
}

// Proves refused work goes back at once: release_jobs ends the holder's lease on the named
// bills only (not another owner's), and the next claim takes them.
TEST_F(JobStoreTest, ReleasedJobsAreClaimedAgainAtOnce) {
  add_jobs(3);
  ASSERT_EQ(claim("node-a", milliseconds{60000}).size(), 3u);
  EXPECT_TRUE(write_one(release_jobs("delivery", "node-b", {"j_00001"})).empty());
  EXPECT_EQ(write_one(release_jobs("delivery", "node-a", {"j_00001", "j_00002"})).size(), 2u);
  std::this_thread::sleep_for(milliseconds{5});
  EXPECT_EQ(bills_of(claim("node-b")), (std::vector<std::string>{"j_00001", "j_00002"}));
}

// Proves expedite_app_jobs makes only that app's waiting jobs due (whoever holds the wait),
// and leaves jobs being attempted, dead jobs and other apps' jobs alone.
TEST_F(JobStoreTest, ExpediteMakesAnAppsWaitingJobsDue) {
  add_app("app2");
  add_app_jobs(app_id_, "w1_", 3, 0);
  add_app_jobs("app2", "w2_", 1, 0);
  auto claimed = claim("node-a", milliseconds{60000}, 10);
  ASSERT_EQ(claimed.size(), 4u);
  for (const auto& job : claimed) {
    if (job.bill_id == "w1_00003") continue;  // still being attempted
    ASSERT_EQ(write_one(reschedule_job(job.job_id, "node-a", 1, milliseconds{600000}, "down")).size(), 1u);
  }
  run({"UPDATE jobs SET dead_at = now() WHERE bill_id = 'w1_00002'", {}});
  EXPECT_EQ(write_one(expedite_app_jobs("delivery", app_id_)).size(), 1u);
  std::this_thread::sleep_for(milliseconds{5});
  EXPECT_EQ(bills_of(claim("node-b")), std::vector<std::string>{"w1_00001"});
}

// Proves dead_letter_paused_app_jobs dead-letters only that app's jobs past the give-up
// age that nobody is attempting (waiting or unleased), keeping their last error.
TEST_F(JobStoreTest, PausedAppsJobsPastGiveUpAreDeadLettered) {
  add_app("app2");
  add_app_jobs(app_id_, "p1_", 3, 0);
  add_app_jobs("app2", "p2_", 1, 0);
  run({"UPDATE jobs SET created_at = now() - interval '2 hours'", {}});
  run({"UPDATE jobs SET created_at = now() WHERE bill_id = 'p1_00003'", {}});
  auto claimed = claim("node-a", milliseconds{60000}, 10);
  ASSERT_EQ(claimed.size(), 4u);
  for (const auto& job : claimed) {
    if (job.bill_id == "p1_00002") continue;  // being attempted
    ASSERT_EQ(write_one(reschedule_job(job.job_id, "node-a", 1, milliseconds{600000}, "HTTP 503")).size(),
              1u);
  }
  EXPECT_EQ(write_one(dead_letter_paused_app_jobs("delivery", app_id_, std::chrono::seconds{3600})).size(),
            1u);
  auto [job, dead] = job_of("p1_00001");
  EXPECT_TRUE(dead);
  EXPECT_EQ(job.last_error, "HTTP 503");
  EXPECT_EQ(job.attempt, 1);
  EXPECT_FALSE(job_of("p1_00002").second) << "being attempted";
  EXPECT_FALSE(job_of("p1_00003").second) << "younger than the give-up age";
  EXPECT_FALSE(job_of("p2_00001").second) << "another app";
}

// A dead-lettered job is never claimed until an admin replays it (scoped to the bill's
// app when one is given); the replay makes it due now as a fresh run.
TEST_F(JobStoreTest, DeadLetterThenReplay) {
  add_jobs(1);
  auto job = claim("node-a");
  ASSERT_EQ(job.size(), 1u);
  EXPECT_EQ(write_one(dead_letter_job(job[0].job_id, "node-a", 5, "gave up")).size(), 1u);
  auto [dead_job, dead] = job_of("j_00001");
  EXPECT_TRUE(dead);
  EXPECT_EQ(dead_job.attempt, 5);
  EXPECT_EQ(dead_job.last_error, "gave up");
  EXPECT_EQ(run({"SELECT count(*) FROM jobs WHERE lease_owner IS NULL", {}}).text(0, 0), "1");
  EXPECT_TRUE(claim("node-a").empty());

  EXPECT_TRUE(write_one(replay_delivery_job("other-app", "j_00001")).empty());
  EXPECT_TRUE(write_one(replay_delivery_job(app_id_, "j_missing")).empty());
  EXPECT_EQ(write_one(replay_delivery_job(app_id_, "j_00001")).size(), 1u);
  auto [replayed, still_dead] = job_of("j_00001");
  EXPECT_FALSE(still_dead);
  EXPECT_EQ(replayed.attempt, 0);
  ASSERT_EQ(claim("node-b").size(), 1u);

  ASSERT_EQ(write_one(dead_letter_job(job[0].job_id, "node-b", 1, "again")).size(), 1u);
  EXPECT_EQ(write_one(replay_delivery_job("", "j_00001")).size(), 1u);
  EXPECT_EQ(claim("node-b").size(), 1u);
}

// Proves replay never resets a live lease: the claimed job is left to its holder (outcome
// lease_live naming the holder and the lease's end), unchanged; a missing job or another
// app's bill is no_job.
TEST_F(JobStoreTest, ReplayRefusedWhileLeaseIsLive) {
  add_jobs(1);
  auto claimed = claim("node-a", milliseconds{60000});
  ASSERT_EQ(claimed.size(), 1u);
  const Millis before = now_ms();
  auto refused = parse_replay(write_one(replay_delivery_job(app_id_, "j_00001")));
  EXPECT_EQ(refused.outcome, ReplayResult::Outcome::lease_live);
  EXPECT_EQ(refused.lease_owner, "node-a");
  ASSERT_TRUE(refused.lease_until.has_value());
  EXPECT_GE(*refused.lease_until, before + milliseconds{50000});
  EXPECT_EQ(run({"SELECT lease_owner FROM jobs WHERE bill_id = 'j_00001'", {}}).text(0, 0), "node-a");

  // A job leased while it waits for its retry is held too.
  auto job = claim("node-b", milliseconds{60000});
  EXPECT_TRUE(job.empty());
  ASSERT_EQ(
      write_one(reschedule_job(claimed[0].job_id, "node-a", 3, milliseconds{600000}, "HTTP 500")).size(), 1u);
  EXPECT_EQ(parse_replay(write_one(replay_delivery_job("", "j_00001"))).outcome,
            ReplayResult::Outcome::lease_live);
  EXPECT_EQ(job_of("j_00001").first.attempt, 3) << "the refused replay changed nothing";

  EXPECT_EQ(parse_replay(write_one(replay_delivery_job("other-app", "j_00001"))).outcome,
            ReplayResult::Outcome::no_job);
  EXPECT_EQ(parse_replay(write_one(replay_delivery_job("", "j_missing"))).outcome,
            ReplayResult::Outcome::no_job);
}

// Proves replay goes ahead once nobody holds the job: after its lease ran out, when it was
// released at a restart, and when it is dead.
TEST_F(JobStoreTest, ReplayAllowedWhenLeaseExpiredReleasedOrDead) {
  add_jobs(3);
  auto claimed = claim("node-a", milliseconds{60000}, 10);
  ASSERT_EQ(claimed.size(), 3u);
  for (const auto& j : claimed) {
    if (j.bill_id == "j_00003") {
      ASSERT_EQ(write_one(dead_letter_job(j.job_id, "node-a", 7, "gave up")).size(), 1u);
    }
  }
  run({"UPDATE jobs SET lease_until = now() - interval '1 second', attempt = 4 WHERE bill_id = 'j_00001'",
       {}});
  run({"UPDATE jobs SET lease_owner = NULL, lease_until = NULL, attempt = 2 WHERE bill_id = 'j_00002'", {}});

  for (const char* bill : {"j_00001", "j_00002", "j_00003"}) {
    EXPECT_EQ(parse_replay(write_one(replay_delivery_job(app_id_, bill))).outcome,
              ReplayResult::Outcome::replayed)
        << bill;
    auto [job, dead] = job_of(bill);
    EXPECT_FALSE(dead) << bill;
    EXPECT_EQ(job.attempt, 0) << bill;
  }
  EXPECT_EQ(claim("node-b", milliseconds{60000}, 10).size(), 3u) << "every replayed job is due now";
}

// Proves the operator's list: pending and dead filters, the app filter, the lease shown as
// it is, and the cursor paging through every job once in bill_id order.
TEST_F(JobStoreTest, ListsPendingAndDeadJobsByAppWithACursor) {
  add_jobs(5);
  add_app("app2");
  run({"UPDATE bills SET app_id = 'app2' WHERE bill_id IN ('j_00002', 'j_00004')", {}});
  run(
      {"UPDATE jobs SET dead_at = now(), last_error = 'gave up', attempt = 9 "
       "WHERE bill_id IN ('j_00001', 'j_00002')",
       {}});
  run(
      {"UPDATE jobs SET lease_owner = 'node-a', lease_until = now() + interval '1 minute' "
       "WHERE bill_id = 'j_00003'",
       {}});
  run(
      {"UPDATE jobs SET lease_owner = 'node-b', lease_until = now() - interval '1 minute' "
       "WHERE bill_id = 'j_00005'",
       {}});

  auto list = [&](DeliveryJobQuery::State state, const std::string& app, const std::string& after = "",
                  int limit = 50) {
    DeliveryJobQuery q;
    q.state = state;
    q.app_id = app;
    q.after_bill_id = after;
    q.limit = limit;
    auto rows = read_sync(*db_, list_delivery_jobs(q));
    EXPECT_TRUE(rows.ok()) << (rows.ok() ? "" : rows.error().message);
    std::vector<std::string> ids;
    std::vector<DeliveryJobView> views =
        rows.ok() ? parse_delivery_jobs(*rows) : std::vector<DeliveryJobView>{};
    for (const auto& v : views) ids.push_back(v.job.bill_id);
    return std::pair{ids, views};
  };
  using State = DeliveryJobQuery::State;
  using Ids = std::vector<std::string>;
  EXPECT_EQ(list(State::dead, "").first, (Ids{"j_00001", "j_00002"}));
  EXPECT_EQ(list(State::pending, "").first, (Ids{"j_00003", "j_00004", "j_00005"}));
  EXPECT_EQ(list(State::any, "").first.size(), 5u);
  EXPECT_EQ(list(State::dead, "app2").first, Ids{"j_00002"});
  EXPECT_EQ(list(State::pending, "app2").first, Ids{"j_00004"});
  EXPECT_TRUE(list(State::any, "app-none").first.empty());

  auto [dead_ids, dead] = list(State::dead, "app2");
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_TRUE(dead[0].dead_at.has_value());
  EXPECT_EQ(dead[0].app_id, "app2");
  EXPECT_EQ(dead[0].user_id, "u");
  EXPECT_EQ(dead[0].job.attempt, 9);
  EXPECT_EQ(dead[0].job.last_error, "gave up");
  EXPECT_FALSE(dead[0].lease_live);
  auto [pending_ids, pending] = list(State::pending, app_id_);
  ASSERT_EQ(pending_ids, (Ids{"j_00003", "j_00005"}));
  EXPECT_TRUE(pending[0].lease_live);
  EXPECT_EQ(pending[0].lease_owner, "node-a");
  EXPECT_TRUE(pending[0].lease_until.has_value());
  EXPECT_FALSE(pending[0].dead_at.has_value());
  EXPECT_FALSE(pending[1].lease_live) << "an expired lease holds nothing";

  // limit 2 → 3 rows (a next page exists); the cursor is the last bill shown.
  EXPECT_EQ(list(State::any, "", "", 2).first, (Ids{"j_00001", "j_00002", "j_00003"}));
  EXPECT_EQ(list(State::any, "", "j_00002", 2).first, (Ids{"j_00003", "j_00004", "j_00005"}));
  EXPECT_EQ(list(State::any, "", "j_00004", 2).first, Ids{"j_00005"});
}

// Every job write names the lease holder: finish, dead letter and reschedule by a process
// that does not hold the lease (another incarnation of the same node name included) change
// nothing and return no row; the holder's own writes then work.
TEST_F(JobStoreTest, OnlyTheLeaseHolderFinishesDeadLettersOrReschedules) {
  add_jobs(2);
  auto jobs = claim("node-a/1111111111111111");
  ASSERT_EQ(jobs.size(), 2u);
  const int64_t first = jobs[0].job_id;
  const int64_t second = jobs[1].job_id;
  auto snapshot = [&] {
    return run({"SELECT job_id, attempt, next_attempt_at, lease_owner, lease_until, last_error, dead_at "
                "FROM jobs ORDER BY job_id",
                {}})
        .rows;
  };
  const auto before = snapshot();
  for (const std::string stranger : {"node-a/2222222222222222", "node-a", "node-b/1111111111111111"}) {
    EXPECT_TRUE(write_one(finish_job(first, stranger)).empty()) << stranger;
    EXPECT_TRUE(write_one(dead_letter_job(first, stranger, 3, "not mine")).empty()) << stranger;
    EXPECT_TRUE(write_one(reschedule_job(first, stranger, 3, milliseconds{0}, "not mine")).empty())
        << stranger;
  }
  EXPECT_EQ(snapshot(), before) << "a non-holder's write changed a job";

  EXPECT_EQ(write_one(finish_job(first, "node-a/1111111111111111")).size(), 1u);
  EXPECT_EQ(write_one(dead_letter_job(second, "node-a/1111111111111111", 4, "gave up")).size(), 1u);
  EXPECT_EQ(run({"SELECT count(*) FROM jobs", {}}).text(0, 0), "1");
  auto [dead_job, dead] = job_of(jobs[1].bill_id);
  EXPECT_TRUE(dead);
  EXPECT_EQ(dead_job.attempt, 4);
}

// select_job_for_bill reports who holds the lease ("" when nobody does), so attempt 1 runs
// only on the process the transition leased the job to.
TEST_F(JobStoreTest, SelectJobForBillNamesTheLeaseHolder) {
  add_jobs(1);
  EXPECT_EQ(run(select_job_for_bill("delivery", "j_00001")).text(0, 8), "");
  ASSERT_EQ(claim("node-a/1111111111111111").size(), 1u);
  EXPECT_EQ(run(select_job_for_bill("delivery", "j_00001")).text(0, 8), "node-a/1111111111111111");
}

}  // namespace
}  // namespace unipay::storage::test
