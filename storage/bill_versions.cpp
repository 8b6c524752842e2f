#include "storage/bill_versions.hpp"

#include "storage/sql_support.hpp"

namespace unipay::storage {

std::string text_array_literal(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

Statement select_bill_versions(const std::vector<std::string>& bill_ids) {
  return {"SELECT bill_id, version FROM bills WHERE bill_id = ANY($1::text[])",
          {text_array_literal(bill_ids)}};
}

std::vector<BillVersion> parse_bill_versions(const Rows& rows) {
  std::vector<BillVersion> out;
  out.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    auto version = sql::to_int64(rows, i, 1);
    if (rows.is_null(i, 0) || !version) continue;
    out.push_back(BillVersion{rows.text(i, 0), *version});
  }
  return out;
}

}  // namespace unipay::storage
