// Outbound provider calls as values, so channel adapters stay pure: an operation that needs
// the provider (WeChat Pay's prepay, an order query, Google's OAuth token then the purchase)
// answers a Step: either its result, or a request to make plus what to do with the answer.
// The HTTP client and its deadline, TLS and connection reuse live with the caller, which
// runs the steps (run_steps below, or an actor doing the same asynchronously).
#pragma once

#include <cassert>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/result.hpp"
#include "net/http_types.hpp"

namespace unipay::channels {

struct OutboundRequest {
  std::string method;                 // "GET", "POST"
  std::string url;                    // absolute: a [providers] base URL (or a credential's URL) + path
  std::vector<http::Header> headers;  // lowercase names, sent as given
  std::string body;
};

struct OutboundResponse {
  int status = 0;
  std::vector<http::Header> headers;  // names lowercased by the client
  std::string body;

  std::string_view header(std::string_view lowercase_name) const;
};

template <class T>
class Step {
 public:
  using Next = std::function<Step<T>(const OutboundResponse&)>;

  Step(Result<T> result) : result_(std::move(result)) {}       // NOLINT: a finished step
  Step(T value) : result_(Result<T>(std::move(value))) {}      // NOLINT
  Step(Error error) : result_(Result<T>(std::move(error))) {}  // NOLINT
  static Step call(OutboundRequest request, Next next) {
    Step step;
    step.request_ = std::make_shared<OutboundRequest>(std::move(request));
    step.next_ = std::move(next);
    return step;
  }

  bool done() const { return result_.has_value(); }
  const Result<T>& result() const& {
    assert(done());
    return *result_;
  }
  Result<T> result() && {
    assert(done());
    return std::move(*result_);
  }
  const OutboundRequest& request() const {
    assert(!done());
    return *request_;
  }
  // The step after the provider answered `response` (any HTTP status: the adapter judges it).
  Step resume(const OutboundResponse& response) const {
    assert(!done());
    return next_(response);
  }

 private:
  Step() = default;
  std::optional<Result<T>> result_;
  std::shared_ptr<const OutboundRequest> request_;
  Next next_;
};

// Makes one provider call; an error when the provider could not be reached (the caller's
// operating error: server_busy, the outcome is unknown).
using Transport = std::function<Result<OutboundResponse>(const OutboundRequest&)>;

// Runs `step` to its end with a blocking transport (tests, tools, detached actors). More than
// `max_calls` calls is server_busy: an adapter that loops is refused, not followed forever.
template <class T>
Result<T> run_steps(Step<T> step, const Transport& transport, size_t max_calls) {
  for (size_t calls = 0; !step.done(); ++calls) {
    if (calls == max_calls) return make_error(Errc::server_busy, "too many provider calls for one operation");
    auto response = transport(step.request());
    if (!response) return response.error();
    step = step.resume(*response);
  }
  return std::move(step).result();
}

}  // namespace unipay::channels
