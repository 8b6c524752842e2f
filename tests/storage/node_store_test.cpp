// Node identities against a real PostgreSQL: every process is its own incarnation, a node
// starting takes over only the job leases of dead incarnations (sessions gone, or heartbeat
// older than dead_after, or unknown), and a live one keeps its leases even when it shares
// the configured name.
#include "storage/node_store.hpp"

#include <algorithm>
#include <regex>

#include "storage/job_store.hpp"
#include "storage/store_fixture.hpp"

namespace unipay::storage::test {
namespace {

using scratch::eventually;
using std::chrono::milliseconds;

constexpr milliseconds kDeadAfter{30000};
constexpr milliseconds kLease{60000};

class NodeStoreTest : public StoreTest {
 protected:
  // A Database whose connections carry `node`'s incarnation, as unipayd opens it, with the
  // node registered (its first heartbeat).
  std::unique_ptr<Database> open_as(const NodeIdentity& node, const std::string& extra_conninfo = "") {
    DatabaseOptions options;
    options.conninfo = conninfo_ + extra_conninfo;
    options.reader_connections = 1;
    options.incarnation = node.incarnation;
    auto db = Database::open(options);
    EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().message);
    if (!db.ok()) return nullptr;
    auto registered = write_sync(**db, {heartbeat_node(node)});
    EXPECT_TRUE(registered.ok()) << (registered.ok() ? "" : registered.error().message);
    return std::move(*db);
  }

  // n paid bills n_00001.. of app1, each with a delivery job due now.
  void add_jobs(int n) {
    run(
        {"INSERT INTO bills (bill_id, app_id, user_id, item_id, channel, bill_type, "
         "amount_minor, currency, state, version, client_token_hash, created_at, expires_at) "
         "SELECT 'n_' || lpad(g::text, 5, '0'), $1, 'u', 'i', 'sandbox', 'purchase', 100, "
         "'USD', 'paid', 2, 'h', now(), now() + interval '1 hour' "
         "FROM generate_series(1, $2::integer) g",
         {app_id_, std::to_string(n)}});
    run({"INSERT INTO jobs (kind, bill_id, next_attempt_at) SELECT 'delivery', bill_id, now() FROM bills",
         {}});
  }

  std::vector<Job> claim(Database& db, const NodeIdentity& node) {
    auto rows = write_sync(db, {claim_due_jobs("delivery", node.owner(), kLease, 100)});
    EXPECT_TRUE(rows.ok()) << (rows.ok() ? "" : rows.error().message);
    return rows.ok() ? parse_jobs(rows->at(0)) : std::vector<Job>{};
  }

  int64_t take_over(const NodeIdentity& node, milliseconds dead_after = kDeadAfter) {
    return write_one(take_over_dead_leases(node.owner(), dead_after)).affected;
  }

  std::string count_leased_to(const NodeIdentity& node) {
    return run({"SELECT count(*) FROM jobs WHERE lease_owner = $1", {node.owner()}}).text(0, 0);
  }

  std::optional<NodeRow> node_row(const NodeIdentity& node, milliseconds dead_after = kDeadAfter) {
    for (auto& row : parse_nodes(run(select_nodes(dead_after))))
      if (row.owner == node.owner()) return row;
    return std::nullopt;
  }
};

// Two processes started with one name get different incarnations, so different lease
// owners; the owner is "<name>/<16 hex digits>".
TEST(NodeIdentity, EachProcessStartIsItsOwnIncarnation) {
  const NodeIdentity a = make_node_identity("node-x");
  const NodeIdentity b = make_node_identity("node-x");
  EXPECT_NE(a.incarnation, b.incarnation);
  EXPECT_NE(a.owner(), b.owner());
  EXPECT_TRUE(std::regex_match(a.owner(), std::regex("node-x/[0-9a-f]{16}"))) << a.owner();
  EXPECT_GT(a.pid, 0);
}

// The bug this replaces: a second process with the same name used to free the first one's
// leases at start, and both then passed the owner check. Now the live first incarnation
// keeps its leases, and only it can write its jobs.
TEST_F(NodeStoreTest, LiveIncarnationOfTheSameNameKeepsItsLeases) {
  add_jobs(3);
  const NodeIdentity first = make_node_identity("node-x");
  auto first_db = open_as(first);
  ASSERT_NE(first_db, nullptr);
  auto jobs = claim(*first_db, first);
  ASSERT_EQ(jobs.size(), 3u);

  const NodeIdentity second = make_node_identity("node-x");
  auto second_db = open_as(second);
  ASSERT_NE(second_db, nullptr);
  EXPECT_EQ(take_over(second), 0);
  EXPECT_EQ(count_leased_to(first), "3");
  EXPECT_TRUE(claim(*second_db, second).empty());
  EXPECT_TRUE(write_one(reschedule_job(jobs[0].job_id, second.owner(), 1, milliseconds{0}, "x")).empty());
  EXPECT_EQ(write_one(reschedule_job(jobs[0].job_id, first.owner(), 1, milliseconds{0}, "x")).size(), 1u);
  ASSERT_TRUE(node_row(first).has_value());
  EXPECT_TRUE(node_row(first)->alive);
  EXPECT_EQ(node_row(first)->name, "node-x");
}

// A process that exited (its sessions are gone) is dead at once, however fresh its last
// heartbeat: the next process of that name takes its leases over at start, and any node
// then claims the jobs. A restarted single node thus reclaims its previous leases at once.
TEST_F(NodeStoreTest, IncarnationWithoutSessionsIsDeadAtOnce) {
  add_jobs(2);
  const NodeIdentity previous = make_node_identity("node-x");
  auto previous_db = open_as(previous);
  ASSERT_NE(previous_db, nullptr);
  ASSERT_EQ(claim(*previous_db, previous).size(), 2u);
  previous_db.reset();  // the process is gone: its connections close
  ASSERT_TRUE(eventually([&] { return node_row(previous) && !node_row(previous)->alive; }));

  const NodeIdentity restarted = make_node_identity("node-x");
  auto restarted_db = open_as(restarted);
  ASSERT_NE(restarted_db, nullptr);
  EXPECT_EQ(take_over(restarted), 2);
  EXPECT_EQ(count_leased_to(previous), "0");
  EXPECT_EQ(claim(*restarted_db, restarted).size(), 2u);
}

// A heartbeat older than dead_after means dead even while sessions linger (a host that
// vanished: its TCP sessions live on until keepalives notice); younger means alive.
TEST_F(NodeStoreTest, StaleHeartbeatIsDeadEvenWithSessions) {
  add_jobs(2);
  const NodeIdentity stale = make_node_identity("node-s");
  auto stale_db = open_as(stale);
  ASSERT_NE(stale_db, nullptr);
  ASSERT_EQ(claim(*stale_db, stale).size(), 2u);
  run({"UPDATE nodes SET heartbeat_at = now() - interval '60 seconds' WHERE owner = $1", {stale.owner()}});

  const NodeIdentity other = make_node_identity("node-t");
  auto other_db = open_as(other);
  ASSERT_NE(other_db, nullptr);
  EXPECT_EQ(take_over(other, milliseconds{120000}), 0) << "60 s is not dead with dead_after 120 s";
  EXPECT_TRUE(node_row(stale, milliseconds{120000})->alive);
  EXPECT_FALSE(node_row(stale, kDeadAfter)->alive);
  EXPECT_EQ(take_over(other, kDeadAfter), 2);
  EXPECT_EQ(count_leased_to(stale), "0");

  // The heartbeat renews the row (the same statement registers it): alive again.
  ASSERT_TRUE(write_sync(*stale_db, {heartbeat_node(stale)}).ok());
  EXPECT_TRUE(node_row(stale)->alive);
}

// Leases of owners no nodes row knows (written before node identities, or forgotten) are
// taken over; an expired lease is left as it is (claimable anyway), and so is the caller's.
TEST_F(NodeStoreTest, UnknownOwnersAreDeadAndExpiredLeasesAreLeftAlone) {
  add_jobs(3);
  const NodeIdentity me = make_node_identity("node-m");
  auto my_db = open_as(me);
  ASSERT_NE(my_db, nullptr);
  run(
      {"UPDATE jobs SET lease_owner = 'node-legacy', lease_until = now() + interval '1 hour' "
       "WHERE bill_id = 'n_00001'",
       {}});
  run(
      {"UPDATE jobs SET lease_owner = 'node-gone', lease_until = now() - interval '1 second' "
       "WHERE bill_id = 'n_00002'",
       {}});
  run({"UPDATE jobs SET lease_owner = $1, lease_until = now() + interval '1 hour' WHERE bill_id = 'n_00003'",
       {me.owner()}});
  EXPECT_EQ(take_over(me), 1);
  Rows owners = run({"SELECT bill_id, coalesce(lease_owner, '') FROM jobs ORDER BY bill_id", {}});
  ASSERT_EQ(owners.size(), 3u);
  EXPECT_EQ(owners.text(0, 1), "");
  EXPECT_EQ(owners.text(1, 1), "node-gone");
  EXPECT_EQ(owners.text(2, 1), me.owner());
}

// The incarnation tag overrides an application_name set in the configured URL: liveness
// must not depend on how the operator wrote the conninfo.
TEST_F(NodeStoreTest, IncarnationTagOverridesTheConfiguredApplicationName) {
  const NodeIdentity node = make_node_identity("node-n");
  auto db = open_as(node, " application_name=operator-chosen");
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(node_row(node).has_value());
  EXPECT_TRUE(node_row(node)->alive);
  Rows names = run({"SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                    {"unipay-writer " + node.incarnation}});
  EXPECT_EQ(names.text(0, 0), "1");
}

// Rows of incarnations silent longer than `after` are deleted; recent ones stay.
TEST_F(NodeStoreTest, ForgetsLongDeadIncarnations) {
  const NodeIdentity old_node = make_node_identity("node-o");
  const NodeIdentity recent = make_node_identity("node-r");
  ASSERT_EQ(write_one(heartbeat_node(old_node)).size(), 1u);
  ASSERT_EQ(write_one(heartbeat_node(recent)).size(), 1u);
  run({"UPDATE nodes SET heartbeat_at = now() - interval '8 days' WHERE owner = $1", {old_node.owner()}});
  EXPECT_EQ(write_one(forget_dead_nodes(std::chrono::hours(24 * 7))).affected, 1);
  EXPECT_FALSE(node_row(old_node).has_value());
  ASSERT_TRUE(node_row(recent).has_value());
  EXPECT_FALSE(node_row(recent)->alive) << "registered, but no session carries its tag";
  EXPECT_EQ(node_row(recent)->pid, recent.pid);
}

}  // namespace
}  // namespace unipay::storage::test
