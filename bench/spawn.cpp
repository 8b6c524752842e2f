#include "bench/spawn.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "net/crypto.hpp"

extern char** environ;

namespace unipay::bench {

namespace fs = std::filesystem;

namespace {

constexpr auto kPoll = std::chrono::milliseconds(100);

// Ports below the ephemeral range (32768-60999), so that the bench's own tens of thousands
// of client sockets never hold the port the server is about to bind.
constexpr int kPortLow = 20000;
constexpr int kPortSpan = 12000;
constexpr int kPortTries = 200;

int free_loopback_port() {
  auto seed = static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
              static_cast<unsigned>(::getpid());
  for (int i = 0; i < kPortTries; ++i) {
    int port = kPortLow + static_cast<int>((seed + static_cast<unsigned>(i) * 7919u) % kPortSpan);
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (free) return port;
  }
  return 0;
}

std::vector<char*> c_argv(const std::vector<std::string>& args) {
  std::vector<char*> out;
  for (const auto& a : args) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

// posix_spawn with stdin from /dev/null, stdout to out_fd, stderr to err_fd (-1: inherit).
int spawn_process(const std::vector<std::string>& args, const std::string& cwd, int out_fd, int err_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (out_fd >= 0) posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  if (err_fd >= 0) posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  pid_t pid = -1;
  auto argv = c_argv(args);
  int rc = posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

bool exited(int pid, int& status) { return ::waitpid(pid, &status, WNOHANG) == pid; }

}  // namespace

int terminate_process(int pid, double timeout_s) {
  if (pid <= 0) return -1;
  int status = 0;
  if (exited(pid, status)) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  ::kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (exited(pid, status)) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::this_thread::sleep_for(kPoll);
  }
  std::fprintf(stderr, "unipay-bench: pid %d did not stop within %.0f s of SIGTERM; SIGKILL\n", pid,
               timeout_s);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

long read_rss_kib(int pid) {
  if (pid <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  for (int i = 0; i < 100 && std::getline(in, line); ++i) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

int blocking_get_status(const Endpoint& endpoint, const std::string& path, double timeout_s) {
  bool v6 = endpoint.host.find(':') != std::string::npos;
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  timeval tv{static_cast<time_t>(timeout_s),
             static_cast<suseconds_t>((timeout_s - static_cast<long>(timeout_s)) * 1e6)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_storage addr{};
  socklen_t len = 0;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(endpoint.port);
    inet_pton(AF_INET6, endpoint.host.c_str(), &a->sin6_addr);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
    a->sin_family = AF_INET;
    a->sin_port = htons(endpoint.port);
    inet_pton(AF_INET, endpoint.host.c_str(), &a->sin_addr);
    len = sizeof *a;
  }
  int status = 0;
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";
  char buf[64] = {};
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()) &&
      ::recv(fd, buf, sizeof buf - 1, 0) >= 12 && std::strncmp(buf, "HTTP/1.", 7) == 0) {
    status = std::atoi(buf + 9);
  }
  ::close(fd);
  return status;
}

std::unique_ptr<SpawnedServer> SpawnedServer::start(const SpawnOptions& options, std::string& error) {
  std::unique_ptr<SpawnedServer> s(new SpawnedServer());
  char dir[] = "/tmp/unipay-bench-XXXXXX";
  if (!::mkdtemp(dir)) return error = "mkdtemp: " + std::string(std::strerror(errno)), nullptr;
  ::chmod(dir, 0755);  // the postgres user must traverse it to reach its cluster
  s->data_dir_ = dir;
  s->keep_data_ = options.keep_data;
  s->admin_token_ = crypto::random_hex(24);
  s->endpoint_ = Endpoint{"127.0.0.1", static_cast<uint16_t>(free_loopback_port())};
  s->args_ = {options.unipayd,   "serve",
              "--listen",        "127.0.0.1:" + std::to_string(s->endpoint_.port),
              "--database-url=", "--data-dir",
              s->data_dir_,      "--admin-token",
              s->admin_token_,   "--allow-private-delivery"};
  if (options.public_base_url)
    s->args_.push_back("--public-base-url=http://127.0.0.1:" + std::to_string(s->endpoint_.port));
  s->args_.insert(s->args_.end(), options.extra_args.begin(), options.extra_args.end());
  std::string log = s->data_dir_ + "/unipayd.log";
  int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  s->pid_ = spawn_process(s->args_, s->data_dir_, log_fd, log_fd);
  if (log_fd >= 0) ::close(log_fd);
  if (s->pid_ <= 0) return error = "cannot start " + options.unipayd, nullptr;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(options.ready_timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (exited(s->pid_, status)) {
      s->stopped_ = true;
      return error = "unipayd exited before it was ready; see " + log, nullptr;
    }
    if (blocking_get_status(s->endpoint_, "/readyz", 2.0) == 200) return s;
    std::this_thread::sleep_for(kPoll);
  }
  error = "unipayd not ready within the deadline; see " + log;
  return nullptr;
}

std::string SpawnedServer::conninfo() const {
  return "host=" + data_dir_ + "/pg/run port=5432 dbname=unipay user=postgres";
}

int SpawnedServer::stop(double timeout_s) {
  if (stopped_) return 0;
  stopped_ = true;
  int code = terminate_process(pid_, timeout_s);
  stop_leftover_postmaster();
  return code;
}

// After a SIGKILL of unipayd its postmaster still runs: SIGINT is PostgreSQL's fast shutdown.
void SpawnedServer::stop_leftover_postmaster() {
  std::ifstream pidfile(data_dir_ + "/pg/data/postmaster.pid");
  long pg = 0;
  if (!(pidfile >> pg) || pg <= 1) return;
  if (::kill(static_cast<pid_t>(pg), SIGINT) != 0) return;
  for (int i = 0; i < 200 && ::kill(static_cast<pid_t>(pg), 0) == 0; ++i) std::this_thread::sleep_for(kPoll);
}

SpawnedServer::~SpawnedServer() {
  stop();
  if (!keep_data_ && !data_dir_.empty()) {
    std::error_code ec;
    fs::remove_all(data_dir_, ec);
  }
}

int spawn_with_first_line(const std::vector<std::string>& argv, const std::string& log_path,
                          std::string& first_line, double timeout_s) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return -1;
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int pid = spawn_process(argv, "", fds[1], log_fd);
  ::close(fds[1]);
  if (log_fd >= 0) ::close(log_fd);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  char c = 0;
  while (pid > 0 && std::chrono::steady_clock::now() < deadline && first_line.size() < 4096) {
    ssize_t n = ::read(fds[0], &c, 1);
    if (n == 1 && c == '\n') break;
    if (n == 1) first_line.push_back(c);
    if (n == 0) break;  // the child closed stdout (it exited)
    if (n < 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::close(fds[0]);
  return pid;
}

}  // namespace unipay::bench
