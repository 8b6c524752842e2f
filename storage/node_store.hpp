// Node identity and liveness. Every unipayd process is one incarnation of a configured node
// name: its lease owner is "<name>/<incarnation>", unique per process even when two
// processes share a name, and a row in `nodes` carries its heartbeat. A process starting
// takes over only the job leases of incarnations that are dead.
//
// An incarnation counts as alive while both hold: its heartbeat is younger than dead_after,
// and PostgreSQL still has a session of it (every connection of a running unipayd carries
// its incarnation in application_name, see pg::connect). So a process that exited or was
// killed on a reachable host is known dead at once (its sessions end with it: a restarted
// single node reclaims its previous leases at start), and one whose host vanished is
// known dead once its heartbeat is dead_after old (its TCP sessions may linger until
// keepalives notice).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "storage/bill.hpp"
#include "storage/database.hpp"

namespace unipay::storage {

struct NodeIdentity {
  std::string name;         // server.node_id, as configured
  std::string incarnation;  // 16 lowercase hex digits, random per process start
  std::string host;         // for operators reading the nodes table
  int pid = 0;

  // What jobs.lease_owner holds for this process.
  std::string owner() const { return name + "/" + incarnation; }
};

// A fresh incarnation of `name` for this process (random, host name, pid).
NodeIdentity make_node_identity(const std::string& name);

// Registers the incarnation, or renews its heartbeat (heartbeat_at = now(), the database's
// clock, so the nodes' clocks never matter). One row back.
Statement heartbeat_node(const NodeIdentity& node);

// Clears the running job leases held by owners other than `owner` that are not alive (see
// above; an owner with no nodes row, e.g. one written before node identities, counts as
// dead), so that any node claims those jobs when they are due. Rows: the job ids.
Statement take_over_dead_leases(const std::string& owner, std::chrono::milliseconds dead_after);

// Deletes the rows of incarnations whose heartbeat is older than `after` (the table grows
// by one row per process start). Their leases, if any, count as unknown, i.e. dead.
Statement forget_dead_nodes(std::chrono::milliseconds after);

struct NodeRow {
  std::string owner;
  std::string name;
  std::string incarnation;
  std::string host;
  int pid = 0;
  Millis started_at{};
  Millis heartbeat_at{};
  bool alive = false;
};

// Every incarnation, newest start first, with alive judged as take_over_dead_leases does.
Statement select_nodes(std::chrono::milliseconds dead_after);
std::vector<NodeRow> parse_nodes(const Rows& rows);

}  // namespace unipay::storage
