// What the HTTP handlers (and the delivery of recharge bills) ask of the wallet actors.
// CAF-free on purpose: net/ includes this header, not CAF. Every callback runs exactly
// once, on an actor or storage thread: hop to an io thread (Call::resume) before doing
// request work.
#pragma once

#include <string>

#include "actors/bill_service.hpp"
#include "actors/ledger_rules.hpp"
#include "config/result.hpp"
#include "storage/wallet.hpp"

namespace unipay {

struct OpenResult {
  bool created = false;  // false: it existed with that unit
  Account account;
};

class WalletService {
 public:
  virtual ~WalletService() = default;

  // Creates the account with `unit`, or finds it with that unit; conflict with another.
  virtual void open(const std::string& app_id, const std::string& account_id, const std::string& unit,
                    Callback<OpenResult> done) = 0;
  // not_found when there is no such account.
  virtual void get(const std::string& app_id, const std::string& account_id, Callback<Account> done) = 0;
  // Decides and commits one operation in the account's order. A refusal or a recorded
  // error answers an OpResult with `error` set (a replay answers the first result again,
  // error or not); infrastructure errors (busy, storage_write, not_found) answer an Error.
  virtual void operate(const std::string& app_id, const std::string& account_id, LedgerOp op,
                       Callback<OpResult> done) = 0;
  // Credits a paid recharge bill's coins to account `bill.user_id` in the app's wallet
  // unit (created on first use), once: op_id "recharge:" + bill id. The bill's move from
  // paid to delivered commits in the same transaction. Answers the credit (a replay after
  // the first time).
  virtual void recharge(const Bill& bill, Callback<OpResult> done) = 0;
};

// The op_id of a recharge bill's credit.
inline std::string recharge_op_id(const std::string& bill_id) { return "recharge:" + bill_id; }

}  // namespace unipay
