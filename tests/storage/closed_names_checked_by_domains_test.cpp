// Migration 008 (storage/migrations/008_closed_names_checked_by_domains.sql): the CHECK
// constraints on a bill's state and type and a job's kind cast to domains. The same names are
// refused as before and change nothing; a database upgraded from 007 keeps its rows and table
// files; a statement a node of the previous release prepared before the upgrade still runs.
// Against the real PostgreSQL.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "storage/app_store.hpp"
#include "storage/bill_store.hpp"
#include "storage/migrations.hpp"
#include "storage/store_fixture.hpp"

namespace unipay::storage::test {
namespace {

class ClosedNamesTest : public StoreTest {
 protected:
  // The script in a session of its own; the error message when PostgreSQL refused it.
  std::string refusal_of(const std::string& sql) {
    pg::Conn conn = scratch_.connect();
    auto done = pg::exec_script(conn.get(), sql.c_str(), Errc::storage_write);
    return done.ok() ? std::string() : done.error().message;
  }
};

// Proves a state outside the closed set is refused by the domain's constraint, named in the
// error, and the bill keeps its state.
TEST_F(ClosedNamesTest, UnknownStateIsRefusedAndChangesNothing) {
  insert(sample_bill("b_01", app_id_));
  const std::string refused = refusal_of("UPDATE bills SET state = 'lost' WHERE bill_id = 'b_01'");
  EXPECT_NE(refused.find("bill_state_name_check"), std::string::npos) << refused;
  EXPECT_EQ(load("b_01")->state, BillState::created);
}

// Proves an unknown bill type is refused on insert, and no row appears.
TEST_F(ClosedNamesTest, UnknownBillTypeIsRefused) {
  const std::string refused = refusal_of(
      "INSERT INTO bills (bill_id, app_id, user_id, item_id, channel, bill_type, amount_minor, currency, "
      "state, version, client_token_hash, created_at, expires_at) VALUES ('b_gift', '" +
      app_id_ + "', 'u', 'i', 'sandbox', 'gift', 100, 'USD', 'created', 1, 'h', now(), now())");
  EXPECT_NE(refused.find("bill_type_name_check"), std::string::npos) << refused;
  EXPECT_EQ(run({"SELECT count(*) FROM bills WHERE bill_id = 'b_gift'", {}}).text(0, 0), "0");
}

// Proves an unknown job kind is refused, and no job appears.
TEST_F(ClosedNamesTest, UnknownJobKindIsRefused) {
  insert(sample_bill("b_01", app_id_));
  const std::string refused =
      refusal_of("INSERT INTO jobs (kind, bill_id, next_attempt_at) VALUES ('mail', 'b_01', now())");
  EXPECT_NE(refused.find("job_kind_name_check"), std::string::npos) << refused;
  EXPECT_EQ(run({"SELECT count(*) FROM jobs WHERE bill_id = 'b_01'", {}}).text(0, 0), "0");
}

// The table files of bills and jobs, by name.
std::map<std::string, std::string> relfilenodes(PGconn* conn) {
  auto rows = pg::exec(
      conn, {"SELECT relname, relfilenode::text FROM pg_class WHERE relname IN ('bills', 'jobs')", {}},
      Errc::storage_read);
  std::map<std::string, std::string> files;
  if (!rows) return files;
  for (size_t i = 0; i < rows->size(); ++i) files[rows->text(i, 0)] = rows->text(i, 1);
  return files;
}

// Proves the upgrade of a database at 007 that holds bills in four states and a job: 008
// keeps every row and value and rewrites neither table (same files); statements prepared
// before it (as a node of the previous release holds them) still read and write afterwards,
// which a column changed to a domain type would refuse ("cached plan must not change result
// type").
TEST(ClosedNamesUpgrade, KeepsRowsTableFilesAndPreparedStatements) {
  scratch::ScratchDatabase db(/*migrate=*/false);
  if (db.conninfo().empty()) GTEST_SKIP() << "UNIPAY_TEST_DATABASE_URL is not set";
  pg::Conn conn = db.connect();
  auto script = [&](const std::string& sql) {
    auto done = pg::exec_script(conn.get(), sql.c_str(), Errc::storage_write);
    ASSERT_TRUE(done.ok()) << sql.substr(0, 80) << ": " << done.error().message;
  };
  ASSERT_TRUE(scratch::migrate_below(conn.get(), 8));
  script(
      "INSERT INTO apps (app_id, name, delivery_url) VALUES ('app1', 'Game app1', 'https://game.example/d');"
      "INSERT INTO bills (bill_id, app_id, user_id, item_id, channel, bill_type, amount_minor, currency, "
      "state, version, client_token_hash, created_at, expires_at) "
      "SELECT 'b_' || s, 'app1', 'u', 'i', 'sandbox', 'purchase', 100, 'USD', s, 1, 'h', now(), now() "
      "FROM unnest(ARRAY['created', 'paid', 'delivered', 'closed']) s;"
      "INSERT INTO jobs (kind, bill_id, next_attempt_at) VALUES ('delivery', 'b_paid', now())");
  const auto before = relfilenodes(conn.get());
  ASSERT_EQ(before.size(), 2u);
  script("PREPARE old_read(text) AS SELECT state, bill_type FROM bills WHERE bill_id = $1");
  script(
      "PREPARE old_close(text) AS UPDATE bills SET state = 'closed', version = version + 1 "
      "WHERE bill_id = $1 RETURNING state, bill_type");
  script("PREPARE old_jobs AS SELECT kind FROM jobs");
  script("EXECUTE old_read('b_paid'); EXECUTE old_jobs");  // prepared and planned before the upgrade

  auto applied = apply_migrations(db.conninfo());
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ(relfilenodes(conn.get()), before);
  auto rows =
      pg::exec(conn.get(),
               {"SELECT string_agg(bill_id || '=' || state || '/' || bill_type || '/' || awaiting_payment, "
                "' ' ORDER BY bill_id) || ' ' || (SELECT string_agg(kind, ',') FROM jobs) FROM bills",
                {}},
               Errc::storage_read);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_EQ(
      rows->text(0, 0),
      "b_closed=closed/purchase/false b_created=created/purchase/true b_delivered=delivered/purchase/false "
      "b_paid=paid/purchase/false delivery");
  for (const char* old :
       {"EXECUTE old_read('b_paid')", "EXECUTE old_close('b_created')", "EXECUTE old_jobs"}) {
    auto done = pg::exec(conn.get(), {old, {}}, Errc::storage_write);
    ASSERT_TRUE(done.ok()) << old << ": " << done.error().message;
    EXPECT_EQ(done->size(), 1u) << old;
  }
  auto closed =
      pg::exec(conn.get(), {"SELECT state, awaiting_payment FROM bills WHERE bill_id = 'b_created'", {}},
               Errc::storage_read);
  ASSERT_TRUE(closed.ok()) << closed.error().message;
  EXPECT_EQ(closed->text(0, 0) + "/" + closed->text(0, 1), "closed/f");
}

}  // namespace
}  // namespace unipay::storage::test
