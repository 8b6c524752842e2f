#include "bench/cpu_usage.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace unipay::bench {

namespace {

constexpr int kMaxProcEntries = 100000;  // bounds the /proc scan

double ticks_to_s(unsigned long long ticks) {
  static const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return static_cast<double>(ticks) / hz;
}

// utime + stime (all threads) and the parent pid from /proc/<path>/stat (path: a pid, or
// pid/task/tid for one thread); the command name into *name when asked. False if gone.
bool process_cpu(const std::string& path, double& cpu_s, long& ppid, std::string* name = nullptr) {
  std::ifstream in("/proc/" + path + "/stat");
  std::string text;
  if (!std::getline(in, text)) return false;
  size_t open = text.find('(');
  if (name && open != std::string::npos) *name = text.substr(open + 1, text.rfind(')') - open - 1);
  // The command name (field 2) may hold spaces; the fields after its ')' are plain.
  size_t close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(text.substr(close + 2));
  std::string state;
  unsigned long long skip = 0, utime = 0, stime = 0;
  rest >> state >> ppid;
  for (int i = 0; i < 9; ++i) rest >> skip;  // fields 5..13
  rest >> utime >> stime;
  cpu_s = ticks_to_s(utime + stime);
  return static_cast<bool>(rest);
}

void machine_cpu(CpuSnapshot& s) {
  std::ifstream in("/proc/stat");
  std::string cpu;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  unsigned long long busy = user + nice + system + irq + softirq + steal;
  s.machine_busy_s = ticks_to_s(busy);
  s.machine_all_s = ticks_to_s(busy + idle + iowait);
}

// The postmaster and every process whose parent it is (backends, walwriter, checkpointer).
double cluster_cpu(int postmaster_pid, std::map<long, double>& each) {
  double total = 0;
  DIR* dir = ::opendir("/proc");
  if (!dir) return -1;
  int seen = 0;
  while (dirent* e = ::readdir(dir)) {
    if (++seen > kMaxProcEntries) break;
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    double cpu = 0;
    long ppid = 0;
    if (!process_cpu(e->d_name, cpu, ppid)) continue;
    long pid = std::atol(e->d_name);
    if (pid == postmaster_pid || ppid == postmaster_pid) {
      total += cpu;
      each[pid] = cpu;
    }
  }
  ::closedir(dir);
  return total;
}

void thread_cpu(int pid, std::map<long, std::pair<std::string, double>>& out) {
  std::string dir_path = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(dir_path.c_str());
  if (!dir) return;
  int seen = 0;
  while (dirent* e = ::readdir(dir)) {
    if (++seen > kMaxProcEntries || e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    double cpu = 0;
    long ppid = 0;
    std::string name;
    if (process_cpu(std::to_string(pid) + "/task/" + e->d_name, cpu, ppid, &name))
      out[std::atol(e->d_name)] = {name, cpu};
  }
  ::closedir(dir);
}

}  // namespace

CpuSnapshot take_cpu_snapshot(int server_pid, int postmaster_pid, int provider_sim_pid) {
  CpuSnapshot s;
  machine_cpu(s);
  long ppid = 0;
  process_cpu("self", s.bench_s, ppid);
  if (server_pid > 0 && !process_cpu(std::to_string(server_pid), s.server_s, ppid)) s.server_s = -1;
  if (server_pid > 0) thread_cpu(server_pid, s.server_threads);
  if (postmaster_pid > 0) s.postgres_s = cluster_cpu(postmaster_pid, s.postgres_processes);
  if (provider_sim_pid > 0 && !process_cpu(std::to_string(provider_sim_pid), s.provider_sim_s, ppid))
    s.provider_sim_s = -1;
  s.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  return s;
}

int read_postmaster_pid(const std::string& data_dir) {
  std::ifstream in(data_dir + "/pg/data/postmaster.pid");
  int pid = 0;
  return (in >> pid) ? pid : 0;
}

namespace {

// The cluster's CPU over the window, process by process: a backend that exited meanwhile (a
// connection closed, like --prefill's) must not make the sum shrink, one that started counts
// from zero.
double cluster_delta(const CpuSnapshot& a, const CpuSnapshot& b) {
  double total = 0;
  for (const auto& [pid, cpu] : b.postgres_processes) {
    auto it = a.postgres_processes.find(pid);
    total += cpu - (it != a.postgres_processes.end() ? it->second : 0.0);
  }
  return total;
}

}  // namespace

std::vector<std::pair<std::string, double>> cpu_metrics(const CpuSnapshot& a, const CpuSnapshot& b,
                                                        double ops, const std::string& per_op_name) {
  std::vector<std::pair<std::string, double>> out;
  double busy = b.machine_busy_s - a.machine_busy_s;
  double all = b.machine_all_s - a.machine_all_s;
  double bench = b.bench_s - a.bench_s;
  double server = (a.server_s >= 0 && b.server_s >= 0) ? b.server_s - a.server_s : -1;
  double pg = (a.postgres_s >= 0 && b.postgres_s >= 0) ? cluster_delta(a, b) : -1;
  double sim = (a.provider_sim_s >= 0 && b.provider_sim_s >= 0) ? b.provider_sim_s - a.provider_sim_s : -1;
  // Clamped: process times and /proc/stat are sampled a moment apart.
  double other = std::max(0.0, busy - bench - std::max(server, 0.0) - std::max(pg, 0.0) - std::max(sim, 0.0));
  out.emplace_back("cpu_machine_busy_share", all > 0 ? busy / all : 0);
  out.emplace_back("cpu_bench_s", bench);
  if (server >= 0) out.emplace_back("cpu_server_s", server);
  if (pg >= 0) out.emplace_back("cpu_postgres_s", pg);
  if (sim >= 0) out.emplace_back("cpu_provider_sim_s", sim);
  out.emplace_back("cpu_other_processes_s", other);  // anything else running on the machine
  // One backend near a whole core while the machine has idle CPU is a serial bottleneck
  // (the group-commit writer runs every write on one connection).
  double busiest = 0;
  for (const auto& [pid, cpu] : b.postgres_processes) {
    auto it = a.postgres_processes.find(pid);
    if (it != a.postgres_processes.end()) busiest = std::max(busiest, cpu - it->second);
  }
  if (pg >= 0 && b.wall_s > a.wall_s)
    out.emplace_back("cpu_postgres_busiest_process_share", busiest / (b.wall_s - a.wall_s));
  double thread = 0;
  for (const auto& [tid, named] : b.server_threads) {
    auto it = a.server_threads.find(tid);
    if (it != a.server_threads.end()) thread = std::max(thread, named.second - it->second.second);
  }
  if (server >= 0 && b.wall_s > a.wall_s)
    out.emplace_back("cpu_server_busiest_thread_share", thread / (b.wall_s - a.wall_s));
  if (ops <= 0) return out;
  auto per = [&](const char* what, double s) {
    if (s >= 0) out.emplace_back("cpu_" + std::string(what) + "_us_per_" + per_op_name, s * 1e6 / ops);
  };
  per("bench", bench);
  per("server", server);
  per("postgres", pg);
  per("provider_sim", sim);
  // The figure: what the server and its database cost together per operation.
  if (server >= 0 && pg >= 0) per("server_postgres", server + pg);
  return out;
}

}  // namespace unipay::bench
