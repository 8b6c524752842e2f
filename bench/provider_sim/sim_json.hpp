// Small answer and JSON-reading helpers shared by the simulator's endpoints.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "net/http_types.hpp"
#include "net/json.hpp"

namespace unipay::sim {

inline http::Response answer(int status, std::string body) {
  http::Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// {"error": message} with `status`: the control API's refusals.
inline http::Response error(int status, std::string_view message) {
  json::Writer out;
  out.begin_object().key("error").string(message).end_object();
  return answer(status, out.take());
}

// The string member `key` of `object`; "" when absent, not a string, or not an object.
inline std::string text(const json::Value& object, std::string_view key) {
  const json::Value* value = object.is_object() ? object.find(key) : nullptr;
  return value && value->kind == json::Value::Kind::string ? value->string : std::string();
}

}  // namespace unipay::sim
