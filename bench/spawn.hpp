// --spawn: runs the build's unipayd on an embedded PostgreSQL in a fresh /tmp directory,
// waits for /readyz, and stops it with SIGTERM at the end (SIGKILL only past a deadline,
// then the embedded postmaster is stopped too, so nothing outlives the bench).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bench/http_client.hpp"

namespace unipay::bench {

struct SpawnOptions {
  std::string unipayd;
  std::vector<std::string> extra_args;
  bool keep_data = false;
  bool public_base_url = false;  // --public-base-url=http://127.0.0.1:<its port> (notify URLs)
  double ready_timeout_s = 120;  // initdb on a fresh directory takes a few seconds
};

class SpawnedServer {
 public:
  static std::unique_ptr<SpawnedServer> start(const SpawnOptions& options, std::string& error);
  ~SpawnedServer();
  SpawnedServer(const SpawnedServer&) = delete;
  SpawnedServer& operator=(const SpawnedServer&) = delete;

  int pid() const { return pid_; }
  const Endpoint& endpoint() const { return endpoint_; }
  const std::string& admin_token() const { return admin_token_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::vector<std::string>& args() const { return args_; }
  // libpq conninfo of the embedded cluster.
  std::string conninfo() const;
  // SIGTERM and wait; SIGKILL after timeout_s. The exit status, or -1 when it was killed.
  int stop(double timeout_s = 30);

 private:
  SpawnedServer() = default;
  void stop_leftover_postmaster();

  int pid_ = 0;
  bool stopped_ = false;
  bool keep_data_ = false;
  Endpoint endpoint_;
  std::string admin_token_;
  std::string data_dir_;
  std::vector<std::string> args_;
};

// VmRSS of a process in KiB from /proc/<pid>/status; -1 when unknown.
long read_rss_kib(int pid);

// One blocking "GET path" over loopback; the status, or 0 when there was no answer.
int blocking_get_status(const Endpoint& endpoint, const std::string& path, double timeout_s);

// Runs argv with stdout to a pipe (first line returned in first_line) and stderr to
// log_path; returns the pid or -1.
int spawn_with_first_line(const std::vector<std::string>& argv, const std::string& log_path,
                          std::string& first_line, double timeout_s);

// SIGTERM, wait up to timeout_s, then SIGKILL. The exit status or -1.
int terminate_process(int pid, double timeout_s);

}  // namespace unipay::bench
