// SQL for the nodes table: registration and heartbeat, liveness, and taking over the
// leases of dead incarnations at start.
#include "storage/node_store.hpp"

#include <unistd.h>

#include <cstdio>
#include <random>

#include "storage/sql_support.hpp"

namespace unipay::storage {
namespace {

// True for a row `n` of nodes that is alive; `dead_after_param` is the SQL of a bigint
// millisecond count. application_name is "<role> <incarnation>" (pg::connect).
std::string alive_predicate(const std::string& dead_after_param) {
  return "(n.heartbeat_at >= now() - " + dead_after_param +
         " * interval '1 millisecond' AND EXISTS (SELECT 1 FROM pg_stat_activity a "
         "WHERE a.datname = current_database() "
         "AND split_part(a.application_name, ' ', 2) = n.incarnation))";
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

}  // namespace

NodeIdentity make_node_identity(const std::string& name) {
  std::random_device random;
  const uint64_t bits = (uint64_t(random()) << 32) | uint64_t(random());
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(bits));
  return NodeIdentity{name, hex, host_name(), static_cast<int>(::getpid())};
}

Statement heartbeat_node(const NodeIdentity& node) {
  return {
      "INSERT INTO nodes (owner, name, incarnation, host, pid) VALUES ($1, $2, $3, $4, $5::integer) "
      "ON CONFLICT (owner) DO UPDATE SET heartbeat_at = now() RETURNING owner",
      {node.owner(), node.name, node.incarnation, node.host, std::to_string(node.pid)}};
}

// Only leases still running matter: an expired one is claimable by anyone already.
Statement take_over_dead_leases(const std::string& owner, std::chrono::milliseconds dead_after) {
  return {
      "UPDATE jobs SET lease_owner = NULL, lease_until = NULL "
      "WHERE lease_owner IS NOT NULL AND lease_owner <> $1 AND lease_until >= now() "
      "AND lease_owner NOT IN (SELECT n.owner FROM nodes n WHERE " +
          alive_predicate("$2::bigint") + ") RETURNING job_id",
      {owner, std::to_string(dead_after.count())}};
}

Statement forget_dead_nodes(std::chrono::milliseconds after) {
  return {"DELETE FROM nodes WHERE heartbeat_at < now() - $1::bigint * interval '1 millisecond'",
          {std::to_string(after.count())}};
}

Statement select_nodes(std::chrono::milliseconds dead_after) {
  return {"SELECT n.owner, n.name, n.incarnation, n.host, n.pid, " + sql::ms_column("n.started_at") + ", " +
              sql::ms_column("n.heartbeat_at") + ", " + alive_predicate("$1::bigint") +
              " FROM nodes n ORDER BY n.started_at DESC, n.owner",
          {std::to_string(dead_after.count())}};
}

std::vector<NodeRow> parse_nodes(const Rows& rows) {
  std::vector<NodeRow> out;
  for (size_t row = 0; row < rows.size(); ++row) {
    if (rows.rows[row].size() < 8) continue;
    auto pid = sql::to_int64(rows, row, 4);
    auto started = sql::to_millis(rows, row, 5);
    auto beat = sql::to_millis(rows, row, 6);
    if (!pid || !started || !beat) continue;
    out.push_back(NodeRow{rows.text(row, 0), rows.text(row, 1), rows.text(row, 2), rows.text(row, 3),
                          int(*pid), *started, *beat, sql::to_bool(rows, row, 7)});
  }
  return out;
}

}  // namespace unipay::storage
