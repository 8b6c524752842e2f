// What every actor of one node shares: the database, the limits, the node identity and
// the handles of the long-lived actors. Built once by the runtime; read-only afterwards.
#pragma once

#include <caf/actor.hpp>
#include <string>

#include "actors/backoff.hpp"
#include "actors/bill_storage.hpp"
#include "actors/delivery_transport.hpp"
#include "actors/wallet_storage.hpp"
#include "config/config.hpp"
#include "storage/database.hpp"

namespace unipay {

class BillService;
class BillQuerier;
class WalletService;

struct ActorContext {
  storage::Database* db = nullptr;
  BillStorage* bill_storage = nullptr;  // bill actors read and commit only through this
  DeliveryTransport* transport = nullptr;
  BillService* bills = nullptr;             // the routing facade (actors/runtime.cpp)
  WalletStorage* wallet_storage = nullptr;  // wallet actors read and commit only through this
  WalletService* wallets = nullptr;         // the routing facade to wallet actors
  BillQuerier* querier = nullptr;           // asks providers about bills (verify jobs); none: no janitor
  config::Config config;
  // This process's node identity, name/incarnation (storage/node_store.hpp): the owner of the
  // job leases it takes, unique per process even when two share server.node_id.
  std::string lease_owner;
  caf::actor registry;           // routes BillRequest/Create to bill actors
  caf::actor dispatcher;         // runs delivery jobs
  caf::actor verify_dispatcher;  // runs verify jobs (when querier is set)
  caf::actor wallet_registry;    // routes WalletRequest to wallet actors
  caf::actor timer;              // coarse timer for per-bill deadlines; none: each actor's own
};

}  // namespace unipay
