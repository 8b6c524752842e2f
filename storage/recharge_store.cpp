// See recharge_store.hpp.
#include "storage/recharge_store.hpp"

namespace unipay::storage {

Statement select_wallet_unit(const std::string& app_id) {
  return {"SELECT wallet_unit FROM apps WHERE app_id = $1::text", {app_id}};
}

std::optional<std::string> parse_wallet_unit(const Rows& rows) {
  if (rows.empty() || rows.is_null(0, 0)) return std::nullopt;
  return rows.text(0, 0);
}

// pg_notify sits in a scalar subquery over upd, so a bill that was not paid notifies nobody.
Statement mark_recharge_delivered(const std::string& bill_id, Millis delivered_at) {
  static const std::string sql =
      "WITH upd AS (UPDATE bills SET state = 'delivered', awaiting_payment = false, version = version + 1, "
      "delivered_at = " +
      sql::ms_param(2) +
      " WHERE bill_id = $1::text AND state = 'paid' AND bill_type = 'recharge' "
      "RETURNING bill_id, state, version) "
      "SELECT EXISTS (SELECT 1 FROM upd), (SELECT pg_notify('unipay_bill', "
      "bill_id || ' ' || state || ' ' || version) FROM upd)";
  return {sql, {bill_id, sql::ms_text(delivered_at)}};
}

}  // namespace unipay::storage
