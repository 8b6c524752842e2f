// Messages to wallet actors, routed by the wallet registry. Local only (never serialised),
// so they are CAF "unsafe" message types. Include only from actors/*.cpp: it pulls CAF.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "actors/reply.hpp"
#include "actors/wallet_service.hpp"
#include "actors/wallet_storage.hpp"

namespace unipay::wmsg {

// Create the account with `unit` (or find it with that unit).
struct Open {
  std::string unit;
  Reply<OpenResult> reply;
};

// The account as last committed.
struct Read {
  Reply<Account> reply;
};

// One ledger operation, decided in the account's order and answered after its commit.
struct Operate {
  LedgerOp op;
  std::string create_unit;               // non-empty: create the account in this unit first (recharge)
  std::vector<storage::Statement> also;  // committed in the same transaction when the op applies
  Reply<OpResult> reply;                 // none for the actor's own expiries
};

// Holds may be due (the restart sweep found one): expire them.
struct Wake {};

struct WalletRequest {
  std::string app_id;
  std::string account_id;
  std::variant<Open, Read, Operate, Wake> command;
};

// Answers the request's caller with `error` (a Wake has none).
inline void fail(WalletRequest& request, const Error& error) {
  std::visit(
      [&](auto& cmd) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(cmd)>, Wake>) cmd.reply(error);
      },
      request.command);
}

// The registry's key of an account: app ids and account ids hold no newline.
inline std::string account_key(const std::string& app_id, const std::string& account_id) {
  return app_id + '\n' + account_id;
}

// Internal messages of the wallet actor.
struct Loaded {
  Result<std::optional<storage::AccountWithHolds>> account;
};
struct LookedUp {
  Result<WalletLookups> found;
};
struct Inserted {
  Result<InsertOutcome> outcome;
};
struct Committed {
  Result<std::vector<storage::CommitOutcome>> outcomes;
};
struct ExpiryTimer {};
struct IdleCheck {};

}  // namespace unipay::wmsg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::wmsg::WalletRequest)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::wmsg::Loaded)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::wmsg::LookedUp)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::wmsg::Inserted)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::wmsg::Committed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::wmsg::ExpiryTimer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::wmsg::IdleCheck)
