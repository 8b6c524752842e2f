// storage/pg_connection: connecting with a libpq multi-host conninfo, as an HA deployment
// does (docs/DEPLOYMENT.md): the hosts are tried in order and target_session_attrs picks
// the primary; unipay's own defaults (timeouts, keepalives, application name) must not
// override either. Runs against the test cluster (UNIPAY_TEST_DATABASE_URL).
#include "storage/pg_connection.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace unipay::storage {
namespace {

// The test cluster's host (socket directory) and port, read with libpq's own parser.
struct HostPort {
  std::string host;
  std::string port;
};

HostPort test_host_port() {
  HostPort out;
  const char* url = std::getenv("UNIPAY_TEST_DATABASE_URL");
  if (!url) return out;
  PQconninfoOption* options = PQconninfoParse(url, nullptr);
  for (auto* o = options; o && o->keyword; ++o) {
    if (!o->val) continue;
    if (std::string(o->keyword) == "host") out.host = o->val;
    if (std::string(o->keyword) == "port") out.port = o->val;
  }
  PQconninfoFree(options);
  return out;
}

// A conninfo listing a host that is down first (a socket directory that does not exist,
// like a failed primary) and the test cluster second.
std::string two_hosts(const HostPort& live, const std::string& session_attrs) {
  return "host=/nonexistent/unipay-dead-primary," + live.host + " port=" + live.port + "," + live.port +
         " user=postgres dbname=postgres target_session_attrs=" + session_attrs;
}

class PgConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    live_ = test_host_port();
    if (live_.host.empty()) GTEST_SKIP() << "UNIPAY_TEST_DATABASE_URL is not set";
  }
  HostPort live_;
};

// Proves the first host being down does not fail the connection: libpq goes on to the next
// host, and the primary it finds accepts writes (what the writer needs after a failover).
TEST_F(PgConnectionTest, MultiHostConninfoSkipsADeadHostAndFindsTheWritableOne) {
  auto conn = pg::connect(two_hosts(live_, "read-write"), "unipay-test", Errc::storage_read);
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  auto rows = pg::exec(conn->get(), {"SELECT pg_is_in_recovery()::text", {}}, Errc::storage_read);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_EQ(rows->rows.at(0).at(0), "false");
  EXPECT_EQ(std::string(PQhost(conn->get())), live_.host);
}

// Proves target_session_attrs reaches libpq intact through pg::connect: asking for a
// standby where there is only a primary is refused, so with read-write a standby (a
// demoted old primary) would be refused the same way and the next host tried.
TEST_F(PgConnectionTest, TargetSessionAttrsIsHonoured) {
  auto conn = pg::connect(two_hosts(live_, "standby"), "unipay-test", Errc::storage_read);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.error().code, Errc::storage_read);
}

// Proves deriving another database's conninfo (as the embedded and scratch databases do)
// keeps every host, their ports and target_session_attrs.
TEST_F(PgConnectionTest, WithDbnameKeepsEveryHost) {
  auto derived = pg::with_dbname(two_hosts(live_, "read-write"), "postgres");
  ASSERT_TRUE(derived.ok()) << derived.error().message;
  EXPECT_NE(derived->find("/nonexistent/unipay-dead-primary," + live_.host), std::string::npos) << *derived;
  EXPECT_NE(derived->find("target_session_attrs='read-write'"), std::string::npos) << *derived;
  auto conn = pg::connect(*derived, "unipay-test", Errc::storage_read);
  EXPECT_TRUE(conn.ok()) << (conn.ok() ? "" : conn.error().message);
}

}  // namespace
}  // namespace unipay::storage
