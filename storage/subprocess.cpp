#include "storage/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

extern char** environ;

namespace unipay::storage {
namespace {

constexpr off_t kKeepOutputBytes = 4096;

std::string read_from(int fd, off_t from) {
  const off_t end = ::lseek(fd, 0, SEEK_END);
  if (end < 0 || end <= from) return {};
  from = std::max(from, end - kKeepOutputBytes);
  std::string out(static_cast<size_t>(end - from), '\0');
  const ssize_t n = ::pread(fd, out.data(), out.size(), from);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

// Owns the spawn attributes for one run; destroys them on every path.
struct FileActions {
  posix_spawn_file_actions_t actions;
  FileActions() { posix_spawn_file_actions_init(&actions); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions); }
};

}  // namespace

Result<ProgramRun> run_program(const std::vector<std::string>& argv, const std::string& cwd, int log_fd) {
  if (argv.empty()) return make_error(Errc::invalid_parameter, "empty command");
  std::string header = "$";
  for (const auto& arg : argv) header += " " + arg;
  header += "\n";
  (void)!::write(log_fd, header.data(), header.size());
  const off_t start = ::lseek(log_fd, 0, SEEK_END);

  FileActions fa;
  posix_spawn_file_actions_addopen(&fa.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa.actions, log_fd, 1);
  posix_spawn_file_actions_adddup2(&fa.actions, log_fd, 2);
  posix_spawn_file_actions_addchdir_np(&fa.actions, cwd.c_str());
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, args[0], &fa.actions, nullptr, args.data(), environ);
  if (rc != 0) {
    return make_error(Errc::storage_write, "cannot run " + argv[0] + ": " + std::strerror(rc));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return make_error(Errc::storage_write, "waitpid failed for " + argv[0]);
  }
  ProgramRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.output = read_from(log_fd, start);
  return run;
}

namespace {

// The name and state letter of /proc/<pid>/stat; the name may hold spaces and parentheses.
bool proc_stat(long pid, std::string& name, char& state) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!stat || !std::getline(stat, line)) return false;
  const auto open = line.find('(');
  const auto close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 2 >= line.size()) {
    return false;
  }
  name = line.substr(open + 1, close - open - 1);
  state = line[close + 2];
  return true;
}

}  // namespace

bool live_postgres(long pid) {
  std::string name;
  char state = '?';
  if (!proc_stat(pid, name, state)) {
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH;  // no /proc: ask kill
  }
  if (state == 'Z' || state == 'X') return false;
  return name == "postgres" || name == "postmaster";
}

bool any_process_in(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path target = fs::weakly_canonical(dir, ec);
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string pid = entry.path().filename().string();
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code link_ec;
    if (fs::read_symlink(entry.path() / "cwd", link_ec) != target || link_ec) continue;
    std::string name;
    char state = '?';
    if (proc_stat(std::stol(pid), name, state) && state != 'Z' && state != 'X') return true;
  }
  return false;
}

}  // namespace unipay::storage
