#include "net/call.hpp"

#include <spdlog/spdlog.h>

#include "net/http_errors.hpp"
#include "net/signed_body_source.hpp"
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

void Call::reply_stream(int status, std::string content_type, std::shared_ptr<http::BodySource> source) {
  assert(!answered_ && "a call is answered once");
  answered_ = true;
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
               request.method, request.path, status, app_id);
  respond_(std::move(response));
}

void Call::fail(const Error& error) { reply(http::error_response(error)); }

}  // namespace unipay
