// Small pieces shared by the statement builders and row parsers of storage/*_store.cpp:
// how times travel (milliseconds since the epoch as text) and how text cells become numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/bill.hpp"
#include "storage/database.hpp"

namespace unipay::storage::sql {

// SQL turning text parameter $n (milliseconds since the epoch) into a timestamptz.
std::string ms_param(int n);
// SQL reading a timestamptz expression back as bigint milliseconds since the epoch.
std::string ms_column(std::string_view column);

// The parameter text of a time (milliseconds since the epoch); NULL for none.
std::string ms_text(Millis t);
std::optional<std::string> ms_text(const std::optional<Millis>& t);
// NULL for "" (columns where absence is NULL, e.g. provider_trade_no).
std::optional<std::string> null_if_empty(const std::string& text);
std::string bool_text(bool value);

// A text[] parameter: the PostgreSQL array literal of the values, each quoted and escaped.
std::string text_array(const std::vector<std::string>& values);

// Strict decimal parsing of a whole cell; none for NULL, "" or trailing junk.
std::optional<int64_t> to_int64(const Rows& rows, size_t row, size_t col);
std::optional<Millis> to_millis(const Rows& rows, size_t row, size_t col);
// PostgreSQL's text form of boolean: "t" / "f".
bool to_bool(const Rows& rows, size_t row, size_t col);

// Appends a parameter to `st` and answers its placeholder ("$n"), for statements whose
// filters are optional.
std::string add_param(Statement& st, std::optional<std::string> value);

}  // namespace unipay::storage::sql
