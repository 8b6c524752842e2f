#include "net/handlers/bill_by_trade.hpp"

#include "storage/bill_store.hpp"

namespace unipay::handlers {

bool names_only_trade(const channels::ProviderResult& result) {
  return result.bill_id.empty() && !result.trade_no.empty();
}

void find_bill_by_trade(const CallPtr& call, const std::string& app_id, const std::string& channel,
                        const std::string& trade_no, std::function<void(Result<std::string>)> next) {
  call->api.db->read(storage::select_bill_id_by_trade(app_id, channel, trade_no),
                     call->resume<storage::Rows>([next = std::move(next)](Result<storage::Rows> rows) {
                       if (!rows) return next(rows.error());
                       if (rows->empty())
                         return next(make_error(Errc::not_found, "no bill with this trade number"));
                       next(rows->text(0, 0));
                     }));
}

}  // namespace unipay::handlers
