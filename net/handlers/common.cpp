#include <charconv>

#include "net/admission.hpp"
#include "net/bill_json.hpp"
#include "net/handlers/handlers.hpp"
#include "net/http_errors.hpp"

namespace unipay::handlers {

bool admit_new_work(const CallPtr& call) {
  const Api& api = call->api;
  if (!api.admission) {
    if (api.db->admits_new_work()) return true;
  } else if (auto leave = api.admission->enter(call->request.received_at)) {
    call->when_answered(std::move(leave));
    return true;
  }
  call->api.metrics->admission_refused.fetch_add(1, std::memory_order_relaxed);
  // No access-log line: under overload a line per refusal (a write each, on the io thread)
  // is work taken from the requests admitted. Admission control logs when it starts and
  // stops refusing; the refusals are counted in /metrics.
  call->reply_unlogged(
      http::error_response(make_error(Errc::overloaded, "the server is overloaded; retry later")));
  return false;
}

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

Result<Query> parse_query(const CallPtr& call) {
  Query query;
  if (!http::parse_query(call->request.query, query)) {
    return make_error(Errc::invalid_parameter, "malformed query string");
  }
  return query;
}

const std::string* find_param(const Query& query, std::string_view name) {
  for (const auto& [key, value] : query) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::optional<int64_t> parse_int(const std::string& text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Status read_limit(const Query& query, int max, int& limit) {
  const std::string* v = find_param(query, "limit");
  if (!v) return ok_status();
  auto value = parse_int(*v);
  if (!value || *value < 1 || *value > max) {
    return make_error(Errc::invalid_parameter, "limit must be from 1 to " + std::to_string(max));
  }
  limit = static_cast<int>(*value);
  return ok_status();
}

}  // namespace unipay::handlers
