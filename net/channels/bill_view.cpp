#include "net/channels/bill_view.hpp"

#include <chrono>

namespace unipay::channels {

BillView bill_view(const Bill& bill) {
  BillView view;
  view.bill_id = bill.bill_id;
  view.app_id = bill.app_id;
  view.item_id = bill.item_id;
  view.amount_minor = bill.amount_minor;
  view.currency = bill.currency;
  view.expires_at_s =
      std::chrono::duration_cast<std::chrono::seconds>(bill.expires_at.time_since_epoch()).count();
  return view;
}

std::string callback_url(std::string_view public_base_url, std::string_view app_id,
                         std::string_view channel) {
  std::string url(public_base_url);
  while (!url.empty() && url.back() == '/') url.pop_back();
  url.append("/v1/callbacks/").append(app_id).append("/").append(channel);
  return url;
}

}  // namespace unipay::channels
