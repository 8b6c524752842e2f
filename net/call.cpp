#include "net/call.hpp"

#include <spdlog/spdlog.h>

#include "net/http_errors.hpp"
#include "net/signing.hpp"

namespace unipay {

void Call::reply(int status, std::string body) {
  http::Response response;
  response.status = status;
  response.body = std::move(body);
  reply(std::move(response));
}

void Call::reply(http::Response response) {
  assert(!answered_ && "a call is answered once");
  answered_ = true;
  if (client_gone()) {
    // Nobody to answer: the session closed the connection already. Not counted as a
    // response, so /metrics status classes stay what clients actually received.
    spdlog::info("request_id={} method={} client_gone=true app={}", request.request_id, request.method,
                 app_id);
    return respond_(std::move(response));  // releases the session; it drops the answer
  }
  if (signature_verified) {
    response.headers.push_back({"x-unipay-signature", signing::sign_response(signing_secret, response.status,
                                                                             nonce, response.body)});
  }
  api.metrics->count_response(response.status);
  auto latency = std::chrono::steady_clock::now() - request.received_at;
  // Paths carry ids only; queries, headers and bodies (tokens, signatures) are never logged.
  spdlog::info("request_id={} method={} path={} status={} latency_us={} app={}", request.request_id,
               request.method, request.path, response.status,
               std::chrono::duration_cast<std::chrono::microseconds>(latency).count(), app_id);
  respond_(std::move(response));
}

void Call::fail(const Error& error) { reply(http::error_response(error)); }

}  // namespace unipay
