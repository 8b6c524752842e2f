// The plain wallet values: names of states, kinds and errors round-trip, and UTC day and
// month bounds are exact (leap days, month and year ends) and refuse malformed text.
#include "storage/wallet.hpp"

#include <gtest/gtest.h>

namespace unipay {
namespace {

Millis utc(int y, unsigned m, unsigned d) {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}});
}

// Proves every name parses back to its value and unknown names do not parse.
TEST(Wallet, NamesRoundTrip) {
  for (auto s : {HoldState::active, HoldState::captured, HoldState::voided, HoldState::expired}) {
    EXPECT_EQ(parse_hold_state(to_string(s)), s);
  }
  for (auto k :
       {EntryKind::credit, EntryKind::debit, EntryKind::capture, EntryKind::recharge, EntryKind::refund}) {
    EXPECT_EQ(parse_entry_kind(to_string(k)), k);
  }
  for (auto e : {Errc::conflict, Errc::insufficient_balance, Errc::account_frozen, Errc::invalid_parameter}) {
    EXPECT_EQ(parse_ledger_error(ledger_error_name(e)), e);
  }
  EXPECT_FALSE(parse_hold_state("Active"));
  EXPECT_FALSE(parse_entry_kind(""));
  EXPECT_FALSE(parse_ledger_error("storage_write"));
}

// Proves day and month bounds are [midnight, next midnight) in UTC, across month, year and
// leap-day ends, and malformed or impossible dates are refused.
TEST(Wallet, UtcDayAndMonthBounds) {
  EXPECT_EQ(utc_day_bounds("2026-11-21"), std::pair(utc(2026, 11, 21), utc(2026, 11, 22)));
  EXPECT_EQ(utc_day_bounds("2026-12-31"), std::pair(utc(2026, 12, 31), utc(2027, 1, 1)));
  EXPECT_EQ(utc_day_bounds("2028-02-29"), std::pair(utc(2028, 2, 29), utc(2028, 3, 1)));
  EXPECT_EQ(utc_month_bounds("2026-12"), std::pair(utc(2026, 12, 1), utc(2027, 1, 1)));
  EXPECT_EQ(utc_month_bounds("2028-02"), std::pair(utc(2028, 2, 1), utc(2028, 3, 1)));
  for (auto bad : {"2026-02-29", "2026-13-01", "2026-00-10", "2026-1-01", "2026/11/21", "2026-11-21x",
                   "-026-11-21", "2026-11-+1", ""}) {
    EXPECT_FALSE(utc_day_bounds(bad)) << bad;
  }
  for (auto bad : {"2026-13", "2026-00", "2026-1", "2026-011", "202a-11"})
    EXPECT_FALSE(utc_month_bounds(bad)) << bad;
}

}  // namespace
}  // namespace unipay
