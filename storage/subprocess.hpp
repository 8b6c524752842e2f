// Internal: runs a program from an argument vector (no shell, so paths with spaces or
// quotes stay one argument), for the embedded PostgreSQL's initdb and pg_ctl.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/result.hpp"

namespace unipay::storage {

struct ProgramRun {
  int exit_code = -1;  // -1 when killed by a signal
  std::string output;  // the program's stdout and stderr (the last 4 KiB)
};

// Runs argv[0] (an absolute path) in `cwd` with stdin from /dev/null; its stdout and stderr
// are appended to the open file `log_fd` (and returned). Blocking.
Result<ProgramRun> run_program(const std::vector<std::string>& argv, const std::string& cwd, int log_fd);

// Whether `pid` is a running PostgreSQL process, by /proc: a killed postmaster that nobody
// reaped stays a zombie, which kill(pid, 0) still reports as alive.
bool live_postgres(long pid);

// Whether a running process works in `dir` (every process of a PostgreSQL server has its
// data directory as working directory, the orphaned backends of a killed one included).
bool any_process_in(const std::filesystem::path& dir);

}  // namespace unipay::storage
