// Names of bill states and types as stored and sent, and RFC 3339 times on the wire.
#include "storage/bill.hpp"

#include <array>
#include <cstdio>
#include <utility>

namespace unipay {

namespace {

constexpr std::array<std::pair<BillState, std::string_view>, 6> kStateNames{{
    {BillState::created, "created"},
    {BillState::paid, "paid"},
    {BillState::failed, "failed"},
    {BillState::closed, "closed"},
    {BillState::delivered, "delivered"},
    {BillState::refunded, "refunded"},
}};

constexpr std::array<std::pair<BillType, std::string_view>, 2> kTypeNames{{
    {BillType::purchase, "purchase"},
    {BillType::recharge, "recharge"},
}};

// Reads exactly `width` decimal digits at `pos`; advances pos. No sign, no spaces.
std::optional<int> take_digits(std::string_view text, size_t& pos, size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += width;
  return value;
}

bool take_char(std::string_view text, size_t& pos, std::string_view allowed) {
  if (pos >= text.size() || allowed.find(text[pos]) == std::string_view::npos) return false;
  ++pos;
  return true;
}

// Optional ".ddd…": any number of digits (at least one); beyond milliseconds they are
// truncated, since every time we keep has millisecond resolution.
std::optional<int> take_fraction_ms(std::string_view text, size_t& pos) {
  if (pos >= text.size() || text[pos] != '.') return 0;
  ++pos;
  size_t start = pos;
  int ms = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    if (pos - start < 3) ms = ms * 10 + (text[pos] - '0');
    ++pos;
  }
  if (pos == start) return std::nullopt;
  for (size_t n = pos - start; n < 3; ++n) ms *= 10;
  return ms;
}

// "Z" → 0; "+hh:mm" / "-hh:mm" → offset east of UTC in minutes.
std::optional<int> take_offset_minutes(std::string_view text, size_t& pos) {
  if (take_char(text, pos, "Zz")) return 0;
  if (pos >= text.size()) return std::nullopt;
  int sign = text[pos] == '+' ? 1 : text[pos] == '-' ? -1 : 0;
  if (sign == 0) return std::nullopt;
  ++pos;
  auto hh = take_digits(text, pos, 2);
  if (!hh || !take_char(text, pos, ":")) return std::nullopt;
  auto mm = take_digits(text, pos, 2);
  if (!mm || *hh > 23 || *mm > 59) return std::nullopt;
  return sign * (*hh * 60 + *mm);
}

}  // namespace

std::string_view to_string(BillState state) {
  for (const auto& [value, name] : kStateNames) {
    if (value == state) return name;
  }
  return "created";  // unreachable: every enumerator is listed
}

std::optional<BillState> parse_bill_state(std::string_view text) {
  for (const auto& [value, name] : kStateNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::string_view to_string(BillType type) {
  for (const auto& [value, name] : kTypeNames) {
    if (value == type) return name;
  }
  return "purchase";  // unreachable: every enumerator is listed
}

std::optional<BillType> parse_bill_type(std::string_view text) {
  for (const auto& [value, name] : kTypeNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::string format_rfc3339_ms(Millis t) {
  using namespace std::chrono;
  auto day = floor<days>(t);  // floor, not truncation: times before 1970 stay correct
  year_month_day ymd{day};
  hh_mm_ss hms{t - day};
  char out[32];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                int(hms.minutes().count()), int(hms.seconds().count()), int(hms.subseconds().count()));
  return out;
}

// YYYY-MM-DD(T|t| )HH:MM:SS[.fraction](Z|z|±hh:mm). Leap seconds (:60) are refused:
// sys_time cannot represent them and no provider sends them.
std::optional<Millis> parse_rfc3339(std::string_view text) {
  using namespace std::chrono;
  size_t pos = 0;
  auto y = take_digits(text, pos, 4);
  if (!y || !take_char(text, pos, "-")) return std::nullopt;
  auto mo = take_digits(text, pos, 2);
  if (!mo || !take_char(text, pos, "-")) return std::nullopt;
  auto d = take_digits(text, pos, 2);
  if (!d || !take_char(text, pos, "Tt ")) return std::nullopt;
  auto h = take_digits(text, pos, 2);
  if (!h || !take_char(text, pos, ":")) return std::nullopt;
  auto mi = take_digits(text, pos, 2);
  if (!mi || !take_char(text, pos, ":")) return std::nullopt;
  auto s = take_digits(text, pos, 2);
  if (!s) return std::nullopt;
  auto ms = take_fraction_ms(text, pos);
  if (!ms) return std::nullopt;
  auto offset = take_offset_minutes(text, pos);
  if (!offset || pos != text.size()) return std::nullopt;

  year_month_day ymd{year{*y}, month{unsigned(*mo)}, day{unsigned(*d)}};
  if (!ymd.ok() || *h > 23 || *mi > 59 || *s > 59) return std::nullopt;
  Millis local = sys_days{ymd} + hours{*h} + minutes{*mi} + seconds{*s} + milliseconds{*ms};
  return local - minutes{*offset};
}

}  // namespace unipay
