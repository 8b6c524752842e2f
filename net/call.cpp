#include "net/call.hpp"

#include <spdlog/spdlog.h>

#include <cassert>

#include "net/http_errors.hpp"
#include "net/log_escape.hpp"
#include "net/signed_body_source.hpp"
#include "net/signing.hpp"

namespace unipay {

void Call::reply(int status, std::string body) {
  http::Response response;
  response.status = status;
  response.body = std::move(body);
  reply(std::move(response));
}

void Call::reply(http::Response response) { answer(std::move(response), {}); }

void Call::fail(const Error& error) { answer(http::error_response(error), error.message); }

void Call::reply_unlogged(http::Response response) { answer(std::move(response), {}, false); }

void Call::answer(http::Response response, std::string_view error_message, bool logged) {
  assert(!answered_ && "a call is answered once");
  answered_ = true;
  run_answered_hook();
  if (response.status < 400 && nonce_state == NonceState::deferred) {
    // A handler bug, never a client's: no success may go out before its nonce is recorded.
    assert(!"a deferred nonce was never recorded");
    spdlog::error("request_id={} answered {} with its nonce unrecorded: refused", request.request_id,
                  response.status);
    response = http::error_response(make_error(Errc::server_busy, "nonce not recorded"));
    error_message = "nonce not recorded";
  }
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
  if (logged) log_answer(response.status, error_message);
  respond_(std::move(response));
}

// One line per request. Paths carry ids only; queries, headers and bodies (tokens,
// signatures) are never logged. The path is the client's and the error may quote libpq
// or a client value: both are quoted fields (net/log_escape.hpp). Every 5xx is a warning
// (503: busy, not ready) or an error, with its request id and what went wrong.
void Call::log_answer(int status, std::string_view error_message) const {
  const auto latency = std::chrono::steady_clock::now() - request.received_at;
  const auto latency_us = std::chrono::duration_cast<std::chrono::microseconds>(latency).count();
  const auto level = status < 500    ? spdlog::level::info
                     : status == 503 ? spdlog::level::warn
                                     : spdlog::level::err;
  const std::string error = status >= 500 && !error_message.empty()
                                ? " error=" + logfmt::quote_field(error_message)
                                : std::string();
  spdlog::log(level, "request_id={} method={} path={} status={} latency_us={} app={}{}", request.request_id,
              request.method, logfmt::quote_field(request.path), status, latency_us, app_id, error);
}

void Call::reply_stream(int status, std::string content_type, std::shared_ptr<http::BodySource> source) {
  assert(!answered_ && "a call is answered once");
  answered_ = true;
  run_answered_hook();
  http::Response response;
  response.status = status;
  response.content_type = std::move(content_type);
  response.stream = std::move(source);
  if (signature_verified) {
    response.headers.push_back({"trailer", std::string(kSignatureHeader)});
    response.stream = sign_body_source(std::move(response.stream), signing_secret, status, nonce);
  }
  api.metrics->count_response(status);
  // Logged when the answer starts: its length is not known before it ends.
  spdlog::info("request_id={} method={} path={} status={} streamed=true app={}", request.request_id,
               request.method, logfmt::quote_field(request.path), status, app_id);
  respond_(std::move(response));
}

}  // namespace unipay
