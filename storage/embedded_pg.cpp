#include "storage/embedded_pg.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "storage/pg_connection.hpp"
#include "storage/subprocess.hpp"

namespace unipay::storage {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxSocketPath = 107;  // sun_path holds 108 bytes with the NUL

Error fail(const std::string& message) { return make_error(Errc::storage_write, message); }

// How initdb and pg_ctl run: directly, or as root through runuser as `postgres`
// (PostgreSQL refuses to run as root).
struct Cluster {
  fs::path bin, root, data, run, log;
  int port = 0;
  int wal_reserve_mb = 0;
  bool as_root = false;
  uid_t pg_uid = 0;
  gid_t pg_gid = 0;
  int out_fd = -1;  // <root>/ctl.log: every command and its output

  Cluster() = default;
  Cluster(const Cluster&) = delete;
  ~Cluster() {
    if (out_fd >= 0) ::close(out_fd);
  }

  Result<ProgramRun> tool(const std::string& name, std::vector<std::string> args) const {
    std::vector<std::string> argv;
    if (as_root) {
      const char* runuser = fs::exists("/usr/sbin/runuser") ? "/usr/sbin/runuser" : "/sbin/runuser";
      argv = {runuser, "-u", "postgres", "--"};
    }
    argv.push_back((bin / name).string());
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv, root.string(), out_fd);
  }
  bool running() const {
    auto status = tool("pg_ctl", {"-D", data.string(), "status"});
    return status && status->exit_code == 0;
  }
};

Status own_dir(const Cluster& c, const fs::path& dir, fs::perms mode) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail("cannot create " + dir.string() + ": " + ec.message());
  if (c.as_root && ::chown(dir.c_str(), c.pg_uid, c.pg_gid) != 0) {
    return fail("cannot chown " + dir.string() + " to postgres");
  }
  fs::permissions(dir, mode, ec);
  if (ec) return fail("cannot chmod " + dir.string() + ": " + ec.message());
  return ok_status();
}

// As root, initdb runs as `postgres`, which must be able to walk down to the cluster.
Status check_traversable(const Cluster& c) {
  for (fs::path p = c.root.parent_path(); !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return fail("cannot stat " + p.string());
    const bool ok = (st.st_mode & S_IXOTH) || (st.st_uid == c.pg_uid && (st.st_mode & S_IXUSR)) ||
                    (st.st_gid == c.pg_gid && (st.st_mode & S_IXGRP));
    if (!ok) return fail("user postgres cannot enter " + p.string() + " (chmod o+x it)");
    if (p == p.root_path()) break;
  }
  return ok_status();
}

Status prepare(Cluster& c, const fs::path& data_dir) {
  std::error_code ec;
  const bool created = fs::create_directories(data_dir, ec);
  if (ec) return fail("cannot create " + data_dir.string() + ": " + ec.message());
  if (c.as_root && created) {
    fs::permissions(data_dir, fs::perms::others_exec, fs::perm_options::add, ec);
  }
  const auto dir_mode = static_cast<fs::perms>(0755);
  if (auto s = own_dir(c, c.root, dir_mode); !s) return s;
  if (auto s = own_dir(c, c.run, dir_mode); !s) return s;
  if (c.as_root) {
    if (auto s = check_traversable(c); !s) return s;
  }
  c.out_fd = ::open((c.root / "ctl.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (c.out_fd < 0) return fail("cannot open " + (c.root / "ctl.log").string());
  return ok_status();
}

Result<std::unique_ptr<Cluster>> make_cluster(const EmbeddedPgOptions& options, bool create) {
  auto c = std::make_unique<Cluster>();
  const fs::path data_dir = fs::absolute(options.data_dir).lexically_normal();
  c->bin = options.bin_dir;
  c->root = data_dir / "pg";
  c->data = c->root / "data";
  c->run = c->root / "run";
  c->log = c->root / "server.log";
  c->port = options.port;
  c->wal_reserve_mb = options.wal_reserve_mb;
  c->as_root = ::geteuid() == 0;
  if (c->as_root) {
    const passwd* pw = ::getpwnam("postgres");
    if (!pw) return fail("running as root but there is no `postgres` user");
    c->pg_uid = pw->pw_uid;
    c->pg_gid = pw->pw_gid;
  }
  if (create) {
    if (auto s = prepare(*c, data_dir); !s) return s.error();
  } else {
    c->out_fd = ::open((c->root / "ctl.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }
  return c;
}

// True when the cluster was created now.
Result<bool> init_if_new(const Cluster& c) {
  if (fs::exists(c.data / "PG_VERSION")) return false;
  auto run = c.tool(
      "initdb", {"-D", c.data.string(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"});
  if (!run) return run.error();
  if (run->exit_code != 0) return fail("initdb failed: " + run->output);
  return true;
}

// A lock file (postmaster.pid, or the socket's .lock) naming a process that is gone, a
// zombie, or not PostgreSQL (the pid was reused after a crash or kill -9). PostgreSQL
// refuses to start while such a file names a live process, and pg_ctl reports a server.
bool stale_lock(const fs::path& file) {
  std::ifstream in(file);
  long pid = 0;
  if (!in || !(in >> pid)) return false;
  return pid <= 0 || !live_postgres(pid);
}

// Removes stale lock files, but only once no process works in the data directory any
// more: without postmaster.pid PostgreSQL could not see that orphaned backends of the
// killed server still use its shared memory, and two servers would write the same files.
Status remove_stale_locks(const Cluster& c) {
  const fs::path locks[] = {c.data / "postmaster.pid",
                            c.run / (".s.PGSQL." + std::to_string(c.port) + ".lock")};
  bool stale = false;
  for (const auto& lock : locks) stale = stale || stale_lock(lock);
  if (!stale) return ok_status();
  for (int waited_ms = 0; any_process_in(c.data); waited_ms += 100) {
    if (waited_ms >= 10000) {
      return fail("processes of a previous server still run in " + c.data.string());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::error_code ec;
  for (const auto& lock : locks) {
    if (stale_lock(lock)) fs::remove(lock, ec);
  }
  return ok_status();
}

std::string tail_of(const fs::path& file, size_t bytes) {
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

Result<ProgramRun> pg_ctl_start(const Cluster& c) {
  // -o goes through pg_ctl's shell: quote the socket directory.
  std::string opts = "-p " + std::to_string(c.port) + " -k '" + c.run.string() + "' -c listen_addresses=''";
  if (c.wal_reserve_mb > 0)
    opts.append(" -c min_wal_size=").append(std::to_string(c.wal_reserve_mb)).append("MB");
  return c.tool("pg_ctl",
                {"-D", c.data.string(), "-l", c.log.string(), "-w", "-t", "60", "-o", opts, "start"});
}

Status start_server(const Cluster& c) {
  const bool running = c.running();
  if (running && !stale_lock(c.data / "postmaster.pid")) return ok_status();  // attach
  if (auto s = remove_stale_locks(c); !s) return s;
  auto run = pg_ctl_start(c);
  if (!run) return run.error();
  if (run->exit_code == 0) return ok_status();
  // The old server's last processes may have been exiting meanwhile: clean up, retry once.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  if (auto s = remove_stale_locks(c); !s) return s;
  run = pg_ctl_start(c);
  if (!run) return run.error();
  if (run->exit_code == 0) return ok_status();
  return fail("pg_ctl start failed: " + run->output + "\nserver log:\n" + tail_of(c.log, 2000));
}

std::string conninfo_value(const std::string& value) {
  const bool plain = !value.empty() && value.find_first_of(" '\\") == std::string::npos;
  return plain ? value : pg::quote_conninfo_value(value);
}

std::string make_conninfo(const Cluster& c, const std::string& dbname) {
  return "host=" + conninfo_value(c.run.string()) + " port=" + std::to_string(c.port) + " dbname=" + dbname +
         " user=postgres";
}

Status create_database_if_missing(const Cluster& c) {
  // A server that another process just started may still be starting up: retry briefly.
  auto conn = pg::connect(make_conninfo(c, "postgres"), "unipay-embedded", Errc::storage_write);
  for (int attempt = 0; !conn && attempt < 40; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    conn = pg::connect(make_conninfo(c, "postgres"), "unipay-embedded", Errc::storage_write);
  }
  if (!conn) return conn.error();
  auto found =
      pg::exec(conn->get(), {"SELECT 1 FROM pg_database WHERE datname = 'unipay'", {}}, Errc::storage_write);
  if (!found) return found.error();
  if (!found->empty()) return ok_status();
  auto created = pg::exec(conn->get(), {"CREATE DATABASE unipay", {}}, Errc::storage_write);
  // 42P04 duplicate_database: another process created it meanwhile.
  if (!created && created.error().message.find("42P04") == std::string::npos) return created.error();
  return ok_status();
}

// Creates the reserved WAL segments of a new cluster: PostgreSQL creates a segment by
// writing and syncing 16 MB of zeros inside the commit that first needs it, which stalls
// the one writer connection, and so every commit, for 60-200 ms per 16 MB of WAL (measured
// at half the maximum lifecycle rate: the p99 of creates and callbacks). A checkpoint
// renames old segments into future ones instead, keeping min_wal_size of them, but a new
// cluster has none until its first checkpoint. Each switch below fills one new segment; the
// checkpoint then keeps them for reuse. Once per cluster: about 1-3 s for 512 MB.
Status reserve_wal(const Cluster& c) {
  auto conn = pg::connect(make_conninfo(c, "postgres"), "unipay-embedded", Errc::storage_write);
  if (!conn) return conn.error();
  const int segments = c.wal_reserve_mb / 16;  // initdb's default segment size
  for (int i = 0; i < segments; ++i) {
    // A switch needs WAL since the last one: the commit of a transaction with an id is some.
    for (const char* sql : {"SELECT txid_current()", "SELECT pg_switch_wal()"}) {
      if (auto done = pg::exec(conn->get(), {sql, {}}, Errc::storage_write); !done) return done.error();
    }
  }
  if (auto done = pg::exec(conn->get(), {"CHECKPOINT", {}}, Errc::storage_write); !done) return done.error();
  spdlog::info("embedded PostgreSQL: {} MB of WAL segments created ahead (database.embedded_wal_reserve_mb)",
               segments * 16);
  return ok_status();
}

}  // namespace

Result<EmbeddedPostgres> EmbeddedPostgres::start(const EmbeddedPgOptions& options) {
  if (options.port < 1 || options.port > 65535) return fail("embedded port out of range");
  auto cluster = make_cluster(options, /*create=*/true);
  if (!cluster) return cluster.error();
  const Cluster& c = **cluster;
  const std::string socket = (c.run / (".s.PGSQL." + std::to_string(c.port))).string();
  if (socket.size() > kMaxSocketPath) return fail("socket path too long: " + socket);
  if (c.run.string().find('\'') != std::string::npos) return fail("data_dir must not contain '");
  auto created = init_if_new(c);
  if (!created) return created.error();
  if (auto s = start_server(c); !s) return s.error();
  if (auto s = create_database_if_missing(c); !s) return s.error();
  if (*created && c.wal_reserve_mb > 0) {
    if (auto s = reserve_wal(c); !s) return s.error();
  }
  EmbeddedPostgres pg;
  pg.options_ = options;
  pg.options_.data_dir = fs::absolute(options.data_dir).lexically_normal();
  pg.conninfo_ = make_conninfo(c, "unipay");
  return pg;
}

Status EmbeddedPostgres::stop() {
  if (options_.data_dir.empty()) return ok_status();  // never started
  auto cluster = make_cluster(options_, /*create=*/false);
  if (!cluster) return cluster.error();
  const Cluster& c = **cluster;
  if (!fs::exists(c.data / "PG_VERSION") || !c.running()) return ok_status();
  auto run = c.tool("pg_ctl", {"-D", c.data.string(), "-m", "fast", "-w", "stop"});
  if (!run) return run.error();
  if (run->exit_code != 0 && c.running()) return fail("pg_ctl stop failed: " + run->output);
  return ok_status();
}

}  // namespace unipay::storage
