// Wallet request bodies read into ledger operations (docs/API.md "Wallets"). Pure: the
// rules themselves (amount ranges, frozen accounts, ...) are decided by actors/ledger_rules;
// this only reads fields and refuses malformed ones with invalid_parameter.
#pragma once

#include <string>

#include "actors/ledger_rules.hpp"
#include "config/result.hpp"
#include "net/json.hpp"

namespace unipay {

inline constexpr size_t kMaxReasonBytes = 256;
inline constexpr size_t kMaxInfoBytes = 4096;

// Account ids follow the op_id rule: 1..128 visible ASCII.
bool valid_account_id(const std::string& account_id);

// PUT /v1/accounts/{id}: {"unit"}.
Result<std::string> parse_unit(const json::Value& body);
// credit, debit: {"op_id", "amount", "reason"?, "info"? (a JSON object)}.
Result<LedgerOp> parse_entry_op(const json::Value& body, LedgerOpKind kind);
// holds: {"op_id", "amount", "ttl_seconds"}; hold_id is the new hold's id.
Result<LedgerOp> parse_hold_op(const json::Value& body, const std::string& hold_id);
// capture: {"op_id", "amount"?}; void: {"op_id"}.
Result<LedgerOp> parse_capture_op(const json::Value& body, const std::string& hold_id);
Result<LedgerOp> parse_void_op(const json::Value& body, const std::string& hold_id);

}  // namespace unipay
