#include "net/bill_json.hpp"
#include "net/handlers/handlers.hpp"

namespace unipay::handlers {

std::optional<json::Value> parse_body(const CallPtr& call) {
  auto value = json::parse(call->request.body, {call->api.config.server.max_json_depth});
  if (!value) {
    call->fail(value.error());
    return std::nullopt;
  }
  return std::move(*value);
}

std::string bill_envelope(const Bill& bill) {
  json::Writer out;
  out.begin_object().key("bill");
  write_bill(out, bill);
  out.end_object();
  return out.take();
}

}  // namespace unipay::handlers
