// Wallet data as stored: accounts, holds, ledger entries and what an operation answered.
// Plain data; the rules that change it live in actors/ledger_rules, the SQL in
// storage/wallet_store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "config/result.hpp"
#include "storage/bill.hpp"

namespace unipay {

// One account: (app_id, account_id), a unit fixed at creation, integer minor units.
struct Account {
  std::string app_id;
  std::string account_id;
  std::string unit;  // ISO 4217 code or a coin name: [A-Z0-9_]{1,16}
  int64_t balance_minor = 0;
  int64_t held_minor = 0;  // sum of the account's active holds
  bool frozen = false;
  int64_t version = 1;  // 1 at creation, +1 per committed change
  Millis created_at{};
  Millis updated_at{};

  int64_t available_minor() const { return balance_minor - held_minor; }
};

enum class HoldState { active, captured, voided, expired };
std::string_view to_string(HoldState state);
std::optional<HoldState> parse_hold_state(std::string_view text);

// Funds reserved on an account until captured, voided or expired.
struct Hold {
  std::string hold_id;
  std::string app_id;
  std::string account_id;
  std::string op_id;  // the operation that created it
  int64_t amount_minor = 0;
  int64_t captured_minor = 0;  // what a capture took (the rest was released); 0 otherwise
  HoldState state = HoldState::active;
  Millis expires_at{};
  Millis created_at{};
  Millis updated_at{};
};

// credit and recharge add; debit, capture and refund take away.
enum class EntryKind { credit, debit, capture, recharge, refund };
std::string_view to_string(EntryKind kind);
std::optional<EntryKind> parse_entry_kind(std::string_view text);

// One append-only ledger line: balance_after_minor = balance_before_minor + amount_minor.
struct LedgerEntry {
  int64_t entry_id = 0;  // assigned by the database (0 until committed)
  std::string app_id;
  std::string account_id;
  std::string op_id;
  EntryKind kind = EntryKind::credit;
  int64_t amount_minor = 0;  // signed
  int64_t balance_before_minor = 0;
  int64_t balance_after_minor = 0;
  std::string hold_id;    // capture: the hold it took from; "" otherwise
  std::string reason;     // free text from the caller
  std::string info_json;  // the caller's JSON text, "" when none
  Millis created_at{};
};

// What an operation answered, kept for op_id replays: the account after it, the entry and
// hold it made or changed, or the error it answered (a recorded error is one whose
// operation still changed state: a capture that found its hold expired expires it).
struct OpResult {
  std::optional<Errc> error;
  std::string error_message;
  Account account;
  std::optional<LedgerEntry> entry;
  std::optional<Hold> hold;
};

// An op_id's first result with the fingerprint of the parameters it came with.
struct OpRecord {
  std::string op_id;
  std::string kind;  // the operation: credit, debit, recharge, refund, hold, capture, void
  std::string fingerprint;
  OpResult result;
};

// The error codes an operation record can carry, by name ("conflict", ...).
std::string_view ledger_error_name(Errc code);
std::optional<Errc> parse_ledger_error(std::string_view name);

// [start, end) of a UTC day "yyyy-mm-dd" or month "yyyy-mm" (statements, settlement).
std::optional<std::pair<Millis, Millis>> utc_day_bounds(std::string_view day);
std::optional<std::pair<Millis, Millis>> utc_month_bounds(std::string_view month);

}  // namespace unipay
