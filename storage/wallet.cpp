// See wallet.hpp.
#include "storage/wallet.hpp"

#include <array>
#include <charconv>

namespace unipay {
namespace {

constexpr std::array<std::pair<HoldState, std::string_view>, 4> kHoldStates{{
    {HoldState::active, "active"},
    {HoldState::captured, "captured"},
    {HoldState::voided, "voided"},
    {HoldState::expired, "expired"},
}};

constexpr std::array<std::pair<EntryKind, std::string_view>, 5> kEntryKinds{{
    {EntryKind::credit, "credit"},
    {EntryKind::debit, "debit"},
    {EntryKind::capture, "capture"},
    {EntryKind::recharge, "recharge"},
    {EntryKind::refund, "refund"},
}};

constexpr std::array<std::pair<Errc, std::string_view>, 6> kLedgerErrors{{
    {Errc::conflict, "conflict"},
    {Errc::insufficient_balance, "insufficient_balance"},
    {Errc::account_frozen, "account_frozen"},
    {Errc::invalid_parameter, "invalid_parameter"},
    {Errc::not_found, "not_found"},
    {Errc::busy, "busy"},
}};

template <class Table, class Key>
std::string_view name_of(const Table& table, Key key) {
  for (const auto& [k, name] : table) {
    if (k == key) return name;
  }
  return "unknown";
}

template <class Key, class Table>
std::optional<Key> key_of(const Table& table, std::string_view name) {
  for (const auto& [k, n] : table) {
    if (n == name) return k;
  }
  return std::nullopt;
}

// Exactly `width` decimal digits.
std::optional<int> digits(std::string_view text, size_t width) {
  if (text.size() != width) return std::nullopt;
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return value;
}

Millis at_midnight(std::chrono::year_month_day day) {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::sys_days{day});
}

}  // namespace

std::string_view to_string(HoldState state) { return name_of(kHoldStates, state); }
std::optional<HoldState> parse_hold_state(std::string_view text) {
  return key_of<HoldState>(kHoldStates, text);
}
std::string_view to_string(EntryKind kind) { return name_of(kEntryKinds, kind); }
std::optional<EntryKind> parse_entry_kind(std::string_view text) {
  return key_of<EntryKind>(kEntryKinds, text);
}
std::string_view ledger_error_name(Errc code) { return name_of(kLedgerErrors, code); }
std::optional<Errc> parse_ledger_error(std::string_view name) { return key_of<Errc>(kLedgerErrors, name); }

std::optional<std::pair<Millis, Millis>> utc_day_bounds(std::string_view day) {
  if (day.size() != 10 || day[4] != '-' || day[7] != '-') return std::nullopt;
  auto y = digits(day.substr(0, 4), 4), m = digits(day.substr(5, 2), 2), d = digits(day.substr(8, 2), 2);
  if (!y || !m || !d) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{*y}, std::chrono::month(unsigned(*m)),
                                  std::chrono::day(unsigned(*d))};
  if (!ymd.ok()) return std::nullopt;
  const Millis start = at_midnight(ymd);
  return std::pair{start, start + std::chrono::days{1}};
}

std::optional<std::pair<Millis, Millis>> utc_month_bounds(std::string_view month) {
  if (month.size() != 7 || month[4] != '-') return std::nullopt;
  auto y = digits(month.substr(0, 4), 4), m = digits(month.substr(5, 2), 2);
  if (!y || !m || *m < 1 || *m > 12) return std::nullopt;
  const std::chrono::year_month first{std::chrono::year{*y}, std::chrono::month(unsigned(*m))};
  const auto next = first + std::chrono::months{1};
  return std::pair{at_midnight(first / std::chrono::day{1}), at_midnight(next / std::chrono::day{1})};
}

}  // namespace unipay
