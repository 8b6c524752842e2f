#include "net/channels/refund_rules.hpp"

#include "net/channels/channel_adapter.hpp"

namespace unipay::channels {

std::string refund_id_for(std::string_view bill_id) { return std::string("rf_").append(bill_id); }

std::optional<Error> refund_refusal(BillState state, std::string_view channel) {
  if (state != BillState::paid && state != BillState::delivered)
    return make_error(Errc::conflict, "only a paid or delivered bill can be refunded");
  const ChannelAdapter* adapter = default_registry().find(channel);
  if (!adapter || !adapter->traits().has_refund)
    return make_error(
        Errc::invalid_parameter,
        std::string(channel).append(" has no refund API: its refunds are made in its own console"));
  return std::nullopt;
}

}  // namespace unipay::channels
