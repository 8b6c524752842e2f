// See sql_support.hpp.
#include "storage/sql_support.hpp"

#include <charconv>

namespace unipay::storage::sql {

// to_timestamp rounds to microseconds (rint), so a millisecond value comes back exact.
std::string ms_param(int n) { return "to_timestamp($" + std::to_string(n) + "::bigint / 1000.0)"; }

// extract(epoch) is numeric (exact) since PostgreSQL 14; the cast rounds to whole ms.
std::string ms_column(std::string_view column) {
  return "(extract(epoch from " + std::string(column) + ") * 1000)::bigint";
}

std::string ms_text(Millis t) { return std::to_string(t.time_since_epoch().count()); }

std::optional<std::string> ms_text(const std::optional<Millis>& t) {
  if (!t) return std::nullopt;
  return ms_text(*t);
}

std::optional<std::string> null_if_empty(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

std::string bool_text(bool value) { return value ? "true" : "false"; }

std::string text_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const std::string& value : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::optional<int64_t> to_int64(const Rows& rows, size_t row, size_t col) {
  if (rows.is_null(row, col)) return std::nullopt;
  const std::string& text = rows.text(row, col);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<Millis> to_millis(const Rows& rows, size_t row, size_t col) {
  auto ms = to_int64(rows, row, col);
  if (!ms) return std::nullopt;
  return Millis{std::chrono::milliseconds{*ms}};
}

bool to_bool(const Rows& rows, size_t row, size_t col) { return rows.text(row, col) == "t"; }

std::string add_param(Statement& st, std::optional<std::string> value) {
  st.params.push_back(std::move(value));
  // Appended rather than `"$" + std::to_string(...)`: g++ 12 at -O3 reports a false
  // -Wrestrict on that form (GCC bug 105329).
  std::string placeholder = "$";
  placeholder += std::to_string(st.params.size());
  return placeholder;
}

}  // namespace unipay::storage::sql
