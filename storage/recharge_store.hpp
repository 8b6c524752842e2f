// SQL for recharge bills (docs/WALLETS.md "Recharge bills"): the unit an app's recharges
// credit, and the recharge bill's move from paid to delivered, written in the same
// transaction as the ledger credit by the account's wallet actor.
#pragma once

#include <optional>
#include <string>

#include "storage/database.hpp"
#include "storage/sql_support.hpp"

namespace unipay::storage {

// One row (wallet_unit) when the app exists.
Statement select_wallet_unit(const std::string& app_id);
std::optional<std::string> parse_wallet_unit(const Rows& rows);

// Moves the recharge bill to delivered when it is paid (a compare-and-set on the state:
// any other state, delivered by an earlier credit included, is left alone) and notifies
// like every bill transition, so the bill's actor re-reads its row. One row: applied ('t'/'f').
Statement mark_recharge_delivered(const std::string& bill_id, Millis delivered_at);

}  // namespace unipay::storage
