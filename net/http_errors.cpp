#include "net/http_errors.hpp"

#include "net/json.hpp"

namespace unipay::http {

ErrorShape error_shape(Errc code) {
  switch (code) {
    case Errc::not_found:
      return {404, "not_found", 1};
    case Errc::unauthorized:
      return {401, "unauthorized", 2};
    case Errc::bad_signature:
      return {401, "bad_signature", 2};
    case Errc::stale_timestamp:
      return {401, "stale_timestamp", 2};
    case Errc::replayed:
      return {401, "replayed", 2};
    case Errc::forbidden:
      return {403, "forbidden", 2};
    case Errc::insufficient_balance:
      return {409, "insufficient_balance", 3};
    case Errc::account_frozen:
      return {423, "account_frozen", 4};
    case Errc::busy:
      return {429, "busy", 5};
    case Errc::overloaded:  // DESIGN §3: busy is 429 or 503 + Retry-After; 503 tells a balancer
      return {503, "busy", 5};
    case Errc::invalid_parameter:
      return {400, "invalid_parameter", 6};
    case Errc::invalid_json:
      return {400, "invalid_json", 6};
    case Errc::payload_too_large:
      return {413, "payload_too_large", 6};
    case Errc::header_too_large:
      return {431, "header_too_large", 6};
    case Errc::conflict:
      return {409, "conflict", 7};
    case Errc::idempotency_in_flight:
      return {409, "conflict", 5};
    case Errc::server_busy:
      return {503, "server_busy", -1};
    case Errc::storage_read:
      return {500, "storage_read", -2};
    case Errc::storage_write:
      return {500, "storage_write", -3};
  }
  return {500, "server_busy", -1};
}

Response error_response(const Error& error) {
  ErrorShape shape = error_shape(error.code);
  json::Writer out;
  out.begin_object().key("error").begin_object();
  out.key("code").string(shape.code);
  out.key("ret").integer(shape.ret);
  out.key("message").string(error.message);
  out.end_object().end_object();
  Response response;
  response.status = shape.status;
  response.body = out.take();
  if (error.code == Errc::busy || error.code == Errc::overloaded || error.code == Errc::server_busy) {
    response.headers.push_back({"retry-after", "1"});
  }
  return response;
}

}  // namespace unipay::http
