// The actor side of one unipayd node: the CAF actor system with the bill registry, the
// delivery dispatcher and housekeeping. CAF-free header: net/ and main include it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "actors/bill_querier.hpp"
#include "actors/bill_service.hpp"
#include "actors/callback_audits.hpp"
#include "actors/delivery_transport.hpp"
#include "actors/wallet_service.hpp"
#include "config/config.hpp"
#include "storage/database.hpp"
#include "storage/node_store.hpp"

namespace unipay {

class Runtime {
 public:
  // Registers `node` (this process's incarnation), takes over the job leases of dead
  // incarnations (blocking, before any actor runs), then spawns the actors, the node's
  // heartbeat among them. `db`, `transport` and `querier` must outlive the runtime. With a
  // querier, bills of channels it can query get verify jobs, run by verify actors (the janitor).
  static Result<std::unique_ptr<Runtime>> start(const config::Config& config, storage::Database& db,
                                                DeliveryTransport& transport,
                                                const storage::NodeIdentity& node,
                                                BillQuerier* querier = nullptr);
  ~Runtime();  // stop()

  BillService& bills();
  // Audit rows of callbacks refused before their signature verified (rate-limited, batched).
  RefusedCallbackAudits& refused_audits();
  WalletService& wallets();

  // From the LISTEN connection: a bill reached `version` (re-read if live here and older).
  void bill_changed(const std::string& bill_id, int64_t version);
  // After the LISTEN connection came back: every live bill re-reads its row.
  void refresh_all();
  // Runs `done` on an actor thread once the bill registry handled a message sent now: how
  // long its mailbox makes bill requests wait (net/admission.hpp).
  void probe_registry(std::function<void()> done);

  void stop();  // stops every actor and waits for them

 private:
  Runtime() = default;
  void await_actors_stopped();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace unipay
