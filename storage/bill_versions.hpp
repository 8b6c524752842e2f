// The versions of many bills in one read: after the LISTEN connection was lost, live bills
// compare these with the row they hold, and only those that moved re-read it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace unipay::storage {

struct BillVersion {
  std::string bill_id;
  int64_t version = 0;
};

// One row (bill_id, version) per bill of `bill_ids` that exists; served by the primary key.
Statement select_bill_versions(const std::vector<std::string>& bill_ids);
// Rows that do not parse are skipped (a bill id and a whole number are always there).
std::vector<BillVersion> parse_bill_versions(const Rows& rows);

// The text[] literal of `items`: {"a","b"} with '"' and '\' escaped.
std::string text_array_literal(const std::vector<std::string>& items);

}  // namespace unipay::storage
