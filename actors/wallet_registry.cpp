#include "actors/wallet_registry.hpp"

#include <caf/all.hpp>

#include "actors/actor_context.hpp"
#include "actors/keyed_actors.hpp"
#include "actors/wallet_actor.hpp"
#include "actors/wallet_messages.hpp"
#include "storage/recharge_store.hpp"

namespace unipay {
namespace {

constexpr int kDroppedRetries = 3;

class WalletRegistry : public caf::event_based_actor {
 public:
  WalletRegistry(caf::actor_config& cfg, std::shared_ptr<const ActorContext> context)
      : caf::event_based_actor(cfg),
        context_(std::move(context)),
        live_(this, context_->config.wallets.max_live_accounts, [this](const std::string& key) {
          const size_t cut = key.find('\n');
          return spawn_wallet_actor(system(), context_, key.substr(0, cut), key.substr(cut + 1));
        }) {}

  // Stopping the owner at shutdown stops every child it spawned (Runtime::stop).
  void on_exit() override { live_.exit_all(); }

  caf::behavior make_behavior() override {
    set_down_handler([this](caf::down_msg& down) { live_.forget(down.source); });
    return {
        [this](wmsg::WalletRequest& r) { route(std::move(r)); },
    };
  }

 private:
  void route(wmsg::WalletRequest r) {
    const caf::actor* actor = live_.find_or_spawn(wmsg::account_key(r.app_id, r.account_id));
    if (!actor) return wmsg::fail(r, make_error(Errc::busy, "too many live accounts; retry later"));
    send(*actor, std::move(r));
  }

  std::shared_ptr<const ActorContext> context_;
  KeyedActors live_;
};

class RoutedWalletService : public WalletService {
 public:
  RoutedWalletService(caf::actor registry, storage::Database& db) : registry_(std::move(registry)), db_(db) {}

  void open(const std::string& app_id, const std::string& account_id, const std::string& unit,
            Callback<OpenResult> done) override {
    route<OpenResult>(
        app_id, account_id,
        [unit](Reply<OpenResult> r) {
          return wmsg::Open{unit, std::move(r)};
        },
        std::move(done), kDroppedRetries);
  }

  void get(const std::string& app_id, const std::string& account_id, Callback<Account> done) override {
    route<Account>(
        app_id, account_id, [](Reply<Account> r) { return wmsg::Read{std::move(r)}; }, std::move(done),
        kDroppedRetries);
  }

  void operate(const std::string& app_id, const std::string& account_id, LedgerOp op,
               Callback<OpResult> done) override {
    route<OpResult>(
        app_id, account_id,
        [op](Reply<OpResult> r) {
          return wmsg::Operate{op, "", {}, std::move(r)};
        },
        std::move(done), kDroppedRetries);
  }

  void recharge(const Bill& bill, Callback<OpResult> done) override {
    db_.read(storage::select_wallet_unit(bill.app_id), [this, bill, done](Result<storage::Rows> rows) {
      if (!rows) return done(rows.error());
      auto unit = storage::parse_wallet_unit(*rows);
      if (!unit) return done(make_error(Errc::not_found, "no such app"));
      LedgerOp op;
      op.kind = LedgerOpKind::recharge;
      op.op_id = recharge_op_id(bill.bill_id);
      op.amount_minor = bill.coins;
      op.reason = "recharge bill " + bill.bill_id;
      std::vector<storage::Statement> also{storage::mark_recharge_delivered(bill.bill_id, now_ms())};
      route<OpResult>(
          bill.app_id, bill.user_id,
          [op, unit = *unit, also](Reply<OpResult> r) {
            return wmsg::Operate{op, unit, also, std::move(r)};
          },
          done, kDroppedRetries);
    });
  }

 private:
  template <class T, class MakeCommand>
  void route(const std::string& app_id, const std::string& account_id, MakeCommand make, Callback<T> done,
             int retries) {
    Reply<T> reply([this, app_id, account_id, make, done, retries](Result<T> result) {
      if (!result && is_dropped(result.error()) && retries > 0) {
        return route<T>(app_id, account_id, make, done, retries - 1);
      }
      done(std::move(result));
    });
    caf::anon_send(registry_, wmsg::WalletRequest{app_id, account_id, make(std::move(reply))});
  }

  caf::actor registry_;
  storage::Database& db_;
};

}  // namespace

caf::actor spawn_wallet_registry(caf::actor_system& system, std::shared_ptr<const ActorContext> context) {
  return system.spawn<WalletRegistry>(std::move(context));
}

std::unique_ptr<WalletService> make_routed_wallet_service(caf::actor registry, storage::Database& db) {
  return std::make_unique<RoutedWalletService>(std::move(registry), db);
}

}  // namespace unipay
