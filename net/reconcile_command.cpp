// `unipayd reconcile [--app ID]`: the ledger reconciliation of GET /v1/reconciliation/ledger
// for every app (or one), as one JSON line per app on stdout. The exit code is what a cron
// job or a monitoring check acts on: 0 clean, 1 a mismatch, 2 a usage error or an unknown
// app, 3 the books could not be read (never "clean" when nothing was checked).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "net/database_setup.hpp"
#include "net/report_format.hpp"
#include "net/server_main.hpp"
#include "storage/ledger_reports.hpp"

namespace unipay {
namespace {

constexpr int kExitClean = 0;
constexpr int kExitMismatch = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreadable = 3;

Result<std::vector<std::string>> app_ids(storage::Database& db) {
  auto rows = db.run_blocking(storage::reconciliation_app_ids());
  if (!rows) return rows.error();
  std::vector<std::string> ids;
  for (size_t row = 0; row < rows->size(); ++row) ids.push_back(rows->text(row, 0));
  return ids;
}

// Prints the app's reconciliation; the exit code it calls for.
int reconcile_app(storage::Database& db, const std::string& app_id) {
  auto rows = db.run_blocking(storage::reconcile_ledger(app_id, kReconciliationMismatchLimit));
  if (!rows) {
    std::fprintf(stderr, "cannot reconcile app %s: %s\n", app_id.c_str(), rows.error().message.c_str());
    return kExitUnreadable;
  }
  auto r = storage::parse_reconciliation(*rows, kReconciliationMismatchLimit);
  if (!r) {
    std::fprintf(stderr, "cannot read the reconciliation of app %s\n", app_id.c_str());
    return kExitUnreadable;
  }
  std::printf("%s\n", reconciliation_json(*r, app_id).c_str());
  std::fflush(stdout);
  return r->mismatches.empty() ? kExitClean : kExitMismatch;
}

}  // namespace

int run_reconcile(const config::Config& config, const config::ReconcileArgs& args) {
  setup_logging(config.server);
  auto setup = setup_database(config);
  if (!setup) {
    std::fprintf(stderr, "cannot reach the database: %s\n", setup.error().message.c_str());
    return kExitUnreadable;
  }
  auto ids = app_ids(*setup->db);
  if (!ids) {
    std::fprintf(stderr, "cannot list the apps: %s\n", ids.error().message.c_str());
    return kExitUnreadable;
  }
  if (!args.app_id.empty()) {
    if (std::find(ids->begin(), ids->end(), args.app_id) == ids->end()) {
      std::fprintf(stderr, "no such app: %s\n", args.app_id.c_str());
      return kExitUsage;
    }
    *ids = {args.app_id};
  }
  bool mismatch = false;
  bool unreadable = false;
  for (const std::string& app_id : *ids) {
    const int code = reconcile_app(*setup->db, app_id);
    mismatch |= code == kExitMismatch;
    unreadable |= code == kExitUnreadable;
  }
  // Unreadable outranks a mismatch: some books were not checked at all. (An embedded
  // cluster is left running, as `app create` leaves it: a server may be using it.)
  return unreadable ? kExitUnreadable : mismatch ? kExitMismatch : kExitClean;
}

}  // namespace unipay
