#include "storage/bill_receipts.hpp"

namespace unipay::storage {

std::vector<Statement> keep_bill_receipt(const std::string& bill_id, const std::string& receipt,
                                         std::chrono::seconds query_after) {
  return {{"INSERT INTO bill_receipts (bill_id, receipt) VALUES ($1, $2) ON CONFLICT (bill_id) "
           "DO UPDATE SET receipt = EXCLUDED.receipt, updated_at = now()",
           {bill_id, receipt}},
          {"UPDATE jobs SET next_attempt_at = LEAST(next_attempt_at, now() + make_interval(secs => $2::int)) "
           "WHERE kind = 'verify' AND bill_id = $1 AND dead_at IS NULL",
           {bill_id, std::to_string(query_after.count())}}};
}

Statement select_bill_receipt(const std::string& bill_id) {
  return {"SELECT receipt FROM bill_receipts WHERE bill_id = $1", {bill_id}};
}

std::string parse_bill_receipt(const Rows& rows) {
  if (rows.empty() || rows.rows[0].empty() || !rows.rows[0][0]) return {};
  return *rows.rows[0][0];
}

}  // namespace unipay::storage
