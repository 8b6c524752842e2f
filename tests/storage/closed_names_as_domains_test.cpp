// Migration 008 (storage/migrations/008_closed_names_as_domains.sql): a bill's state and type
// and a job's kind are domains. The same names are refused as before and change nothing,
// clients still read the columns as text, and a database upgraded from 007 keeps its rows and
// its table files (the type change is a relabel, not a rewrite). Against the real PostgreSQL.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <map>
#include <string>

#include "storage/app_store.hpp"
#include "storage/bill_store.hpp"
#include "storage/migrations.hpp"
#include "storage/migrations_data.hpp"
#include "storage/store_fixture.hpp"

namespace unipay::storage::test {
namespace {

constexpr unsigned kTextOid = 25;  // pg_type.oid of text

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
  EXPECT_NE(refused.find("bill_state_check"), std::string::npos) << refused;
  EXPECT_EQ(load("b_01")->state, BillState::created);
}

// Proves an unknown bill type is refused on insert, and no row appears.
TEST_F(ClosedNamesTest, UnknownBillTypeIsRefused) {
  const std::string refused = refusal_of(
      "INSERT INTO bills (bill_id, app_id, user_id, item_id, channel, bill_type, amount_minor, currency, "
      "state, version, client_token_hash, created_at, expires_at) VALUES ('b_gift', '" +
      app_id_ + "', 'u', 'i', 'sandbox', 'gift', 100, 'USD', 'created', 1, 'h', now(), now())");
  EXPECT_NE(refused.find("bill_type_check"), std::string::npos) << refused;
  EXPECT_EQ(run({"SELECT count(*) FROM bills WHERE bill_id = 'b_gift'", {}}).text(0, 0), "0");
}

// Proves an unknown job kind is refused, and no job appears.
TEST_F(ClosedNamesTest, UnknownJobKindIsRefused) {
  insert(sample_bill("b_01", app_id_));
  const std::string refused =
      refusal_of("INSERT INTO jobs (kind, bill_id, next_attempt_at) VALUES ('mail', 'b_01', now())");
  EXPECT_NE(refused.find("job_kind_check"), std::string::npos) << refused;
  EXPECT_EQ(run({"SELECT count(*) FROM jobs WHERE bill_id = 'b_01'", {}}).text(0, 0), "0");
}

// Proves clients see the columns as text (PostgreSQL describes a domain column by its base
// type), so reports, psql scripts and other drivers read them as before.
TEST_F(ClosedNamesTest, ColumnsReadAsText) {
  insert(sample_bill("b_01", app_id_));
  pg::Conn conn = scratch_.connect();
  PGresult* res = PQexec(conn.get(),
                         "SELECT b.state, b.bill_type, j.kind FROM bills b "
                         "LEFT JOIN jobs j USING (bill_id) WHERE b.bill_id = 'b_01'");
  ASSERT_EQ(PQresultStatus(res), PGRES_TUPLES_OK) << PQerrorMessage(conn.get());
  EXPECT_EQ(PQftype(res, 0), kTextOid);
  EXPECT_EQ(PQftype(res, 1), kTextOid);
  EXPECT_EQ(PQftype(res, 2), kTextOid);
  EXPECT_EQ(std::string(PQgetvalue(res, 0, 0)), "created");
  PQclear(res);
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
// keeps every row and value, rewrites neither table (same files), and the trigger it
// re-creates still sets `awaiting_payment` for a writer unaware of that column.
TEST(ClosedNamesUpgrade, KeepsRowsAndTableFiles) {
  scratch::ScratchDatabase db(/*migrate=*/false);
  if (db.conninfo().empty()) GTEST_SKIP() << "UNIPAY_TEST_DATABASE_URL is not set";
  pg::Conn conn = db.connect();
  auto script = [&](const std::string& sql) {
    auto done = pg::exec_script(conn.get(), sql.c_str(), Errc::storage_write);
    ASSERT_TRUE(done.ok()) << sql.substr(0, 80) << ": " << done.error().message;
  };
  script(
      "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
      "applied_at timestamptz NOT NULL DEFAULT now())");
  for (const auto& migration : embedded_migrations()) {
    if (migration.version >= 8) break;
    script(std::string(migration.sql));
    script("INSERT INTO schema_migrations (version, name) VALUES (" + std::to_string(migration.version) +
           ", '" + std::string(migration.name) + "')");
  }
  script(
      "INSERT INTO apps (app_id, name, delivery_url) VALUES ('app1', 'Game app1', 'https://game.example/d');"
      "INSERT INTO bills (bill_id, app_id, user_id, item_id, channel, bill_type, amount_minor, currency, "
      "state, version, client_token_hash, created_at, expires_at) "
      "SELECT 'b_' || s, 'app1', 'u', 'i', 'sandbox', 'purchase', 100, 'USD', s, 1, 'h', now(), now() "
      "FROM unnest(ARRAY['created', 'paid', 'delivered', 'closed']) s;"
      "INSERT INTO jobs (kind, bill_id, next_attempt_at) VALUES ('delivery', 'b_paid', now())");
  const auto before = relfilenodes(conn.get());
  ASSERT_EQ(before.size(), 2u);

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
  script("UPDATE bills SET state = 'closed', version = 2 WHERE bill_id = 'b_created'");
  auto awaiting = pg::exec(conn.get(), {"SELECT awaiting_payment FROM bills WHERE bill_id = 'b_created'", {}},
                           Errc::storage_read);
  ASSERT_TRUE(awaiting.ok()) << awaiting.error().message;
  EXPECT_EQ(awaiting->text(0, 0), "f");
}

}  // namespace
}  // namespace unipay::storage::test
