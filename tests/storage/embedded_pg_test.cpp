// The embedded PostgreSQL cluster: first start (initdb), stop, restart on the same data,
// attach to a running server, recovery after kill -9, and two clusters side by side.
// Each test uses fresh directories under /tmp (short socket paths; reachable by the
// `postgres` user when the tests run as root).
#include "storage/embedded_pg.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "scratch_database.hpp"
#include "storage/pg_connection.hpp"

namespace unipay::storage::scratch {
namespace {

namespace fs = std::filesystem;

// A fresh directory; stops every cluster registered in it, then deletes it (kept when
// UNIPAY_TEST_KEEP_TMP is set).
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/unipay-epg-XXXXXX";
    path_ = ::mkdtemp(name);
    ::chmod(path_.c_str(), 0755);
  }
  ~TempDir() {
    for (auto& pg : clusters_) (void)pg.stop();
    if (std::getenv("UNIPAY_TEST_KEEP_TMP")) return;  // to read pg/ctl.log and server.log
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  void own(const EmbeddedPostgres& pg) { clusters_.push_back(pg); }

 private:
  fs::path path_;
  std::vector<EmbeddedPostgres> clusters_;
};

Result<EmbeddedPostgres> start(TempDir& dir, const fs::path& data_dir, int port) {
  EmbeddedPgOptions options;
  options.data_dir = data_dir;
  options.port = port;
  auto pg = EmbeddedPostgres::start(options);
  if (pg.ok()) dir.own(*pg);
  return pg;
}

// The first cell of `sql`, or the error message.
std::string query(const std::string& conninfo, const std::string& sql) {
  auto conn = pg::connect(conninfo, "unipay-test", Errc::storage_read);
  if (!conn) return "error: " + conn.error().message;
  auto rows = pg::exec(conn->get(), {sql, {}}, Errc::storage_read);
  if (!rows) return "error: " + rows.error().message;
  return rows->empty() ? "" : rows->text(0, 0);
}

long postmaster_pid(const fs::path& data_dir) {
  std::ifstream file(data_dir / "pg/data/postmaster.pid");
  long pid = 0;
  file >> pid;
  return pid;
}

bool process_gone(long pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

// Proves the life cycle: a relative data_dir is made absolute; start creates the cluster
// and the `unipay` database; a second start attaches to the running server (same
// postmaster); stop is safe twice; a later start reuses the data.
TEST(EmbeddedPostgres, StartStopRestartAndAttach) {
  TempDir dir;
  const fs::path data_dir = dir.path() / "var";
  const fs::path relative = fs::relative(data_dir, fs::current_path());
  auto pg = start(dir, relative, 26101);
  ASSERT_TRUE(pg.ok()) << pg.error().message;
  EXPECT_EQ(pg->conninfo(),
            "host=" + (data_dir / "pg/run").string() + " port=26101 dbname=unipay user=postgres");
  EXPECT_EQ(query(pg->conninfo(), "SELECT current_database()"), "unipay");
  EXPECT_EQ(query(pg->conninfo(), "CREATE TABLE kept AS SELECT 42 AS x"), "");
  const long pid = postmaster_pid(data_dir);

  auto attached = start(dir, data_dir, 26101);
  ASSERT_TRUE(attached.ok()) << attached.error().message;
  EXPECT_EQ(attached->conninfo(), pg->conninfo());
  EXPECT_EQ(postmaster_pid(data_dir), pid);

  ASSERT_TRUE(pg->stop().ok());
  ASSERT_TRUE(pg->stop().ok());
  EXPECT_EQ(query(pg->conninfo(), "SELECT 1").rfind("error", 0), 0u);

  auto again = start(dir, data_dir, 26101);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(query(again->conninfo(), "SELECT x FROM kept"), "42");
}

// Proves the WAL reserve: a new cluster starts with min_wal_size set to the reserve and
// WAL segments already made for the writes to come (a commit that had to create one would
// wait for 16 MB of zeros to be written and synced), and a restart keeps them.
TEST(EmbeddedPostgres, NewClusterHasItsWalReserveReady) {
  TempDir dir;
  EmbeddedPgOptions options;
  options.data_dir = dir.path() / "var";
  options.port = 26105;
  options.wal_reserve_mb = 64;
  auto pg = EmbeddedPostgres::start(options);
  ASSERT_TRUE(pg.ok()) << pg.error().message;
  dir.own(*pg);
  const std::string ahead =
      "SELECT count(*) FROM pg_ls_waldir() WHERE name > pg_walfile_name(pg_current_wal_lsn())";
  EXPECT_EQ(query(pg->conninfo(), "SHOW min_wal_size"), "64MB");
  EXPECT_GE(std::stoi(query(pg->conninfo(), ahead)), 3);  // 64 MB: 4 segments, the current one included

  ASSERT_TRUE(pg->stop().ok());
  auto again = EmbeddedPostgres::start(options);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(query(again->conninfo(), "SHOW min_wal_size"), "64MB");
  EXPECT_GE(std::stoi(query(again->conninfo(), ahead)), 3);
}

// Proves recovery after the postmaster was killed with SIGKILL (its postmaster.pid left
// behind): the next start brings the cluster back with its data.
TEST(EmbeddedPostgres, RecoversAfterPostmasterKilled) {
  TempDir dir;
  const fs::path data_dir = dir.path() / "var";
  auto pg = start(dir, data_dir, 26102);
  ASSERT_TRUE(pg.ok()) << pg.error().message;
  EXPECT_EQ(query(pg->conninfo(), "CREATE TABLE kept AS SELECT 7 AS x"), "");
  const long pid = postmaster_pid(data_dir);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGKILL), 0);
  ASSERT_TRUE(eventually([&] { return process_gone(pid); }));
  ASSERT_TRUE(fs::exists(data_dir / "pg/data/postmaster.pid"));

  auto again = start(dir, data_dir, 26102);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(query(again->conninfo(), "SELECT x FROM kept"), "7");
}

// Proves a postmaster.pid naming a live process that is not PostgreSQL (a reused pid)
// does not stop the cluster from starting.
TEST(EmbeddedPostgres, StartsDespitePidFileOfAnotherProcess) {
  TempDir dir;
  const fs::path data_dir = dir.path() / "var";
  auto pg = start(dir, data_dir, 26103);
  ASSERT_TRUE(pg.ok()) << pg.error().message;
  ASSERT_TRUE(pg->stop().ok());
  const pid_t sleeper = ::fork();
  ASSERT_GE(sleeper, 0);
  if (sleeper == 0) {
    ::execl("/bin/sleep", "sleep", "60", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const fs::path pid_file = data_dir / "pg/data/postmaster.pid";
  std::ofstream(pid_file) << sleeper << "\n" << (data_dir / "pg/data").string() << "\n";
  struct stat owner {};
  ::stat((data_dir / "pg/data").c_str(), &owner);
  (void)::chown(pid_file.c_str(), owner.st_uid, owner.st_gid);

  auto again = start(dir, data_dir, 26103);
  ::kill(sleeper, SIGKILL);
  ::waitpid(sleeper, nullptr, 0);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(query(again->conninfo(), "SELECT 1"), "1");
}

// Proves two clusters in different data dirs run at once, even on the same port number:
// each has its own socket directory and its own data.
TEST(EmbeddedPostgres, TwoDataDirsRunSideBySide) {
  TempDir dir_a, dir_b;
  auto a = start(dir_a, dir_a.path() / "var", 26104);
  ASSERT_TRUE(a.ok()) << a.error().message;
  auto b = start(dir_b, dir_b.path() / "var", 26104);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_NE(a->conninfo(), b->conninfo());
  EXPECT_EQ(query(a->conninfo(), "CREATE TABLE only_a AS SELECT 1 AS x"), "");
  EXPECT_EQ(query(a->conninfo(), "SELECT x FROM only_a"), "1");
  EXPECT_EQ(query(b->conninfo(), "SELECT to_regclass('only_a') IS NULL"), "t");
}

}  // namespace
}  // namespace unipay::storage::scratch
