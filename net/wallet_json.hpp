// The public JSON form of accounts, ledger entries and holds (API answers, and the ledger
// entry a recharge bill's bill.paid delivery carries). Amounts are integers (minor units).
#pragma once

#include <string>

#include "net/json.hpp"
#include "storage/wallet.hpp"

namespace unipay {

// {"account_id","unit","balance","held","available","frozen","version","created_at","updated_at"}
void write_account(json::Writer& out, const Account& account);
// {"entry_id","op_id","kind","amount"
// (signed),"balance_before","balance_after","hold_id","reason","info","created_at"}
void write_entry(json::Writer& out, const LedgerEntry& entry);
std::string entry_json(const LedgerEntry& entry);
// {"hold_id","account_id","amount","captured_amount","state","expires_at"}
void write_hold(json::Writer& out, const Hold& hold);

// {"account": {...}}
std::string account_envelope(const Account& account);
// An operation's answer: {"hold"?, "entry"?, "account"}, each present when the result has it.
std::string op_result_json(const OpResult& result);

}  // namespace unipay
