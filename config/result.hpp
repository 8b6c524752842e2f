// Operating errors as values, shared by every layer (config is the lowest one).
// net/http_errors.cpp is the one place that turns an Errc into an HTTP answer.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace unipay {

// The error codes of DESIGN.md §3; `ret` and the HTTP status are derived in net/.
enum class Errc {
  not_found,
  unauthorized,
  bad_signature,
  stale_timestamp,
  replayed,
  forbidden,
  insufficient_balance,
  account_frozen,
  busy,        // a limit or a lock: retry later
  overloaded,  // new work refused before anything happened (admission control): retry later
  invalid_parameter,
  invalid_json,
  payload_too_large,
  header_too_large,
  conflict,               // idempotency key / op_id reuse, illegal transition
  idempotency_in_flight,  // conflict with ret 5: the first request did not answer in time
  server_busy,
  storage_read,
  storage_write,
};

struct Error {
  Errc code = Errc::server_busy;
  std::string message;
};

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

// A minimal expected<T, Error> (g++ 12 has no std::expected).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit on purpose
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit on purpose

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

struct Unit {};
using Status = Result<Unit>;
inline Status ok_status() { return Unit{}; }

}  // namespace unipay
