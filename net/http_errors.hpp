// The one place where an Errc becomes an HTTP answer: status, code name, ret (DESIGN.md §3).
#pragma once

#include <string_view>

#include "config/result.hpp"
#include "net/http_types.hpp"

namespace unipay::http {

struct ErrorShape {
  int status;
  std::string_view code;
  int ret;
};

ErrorShape error_shape(Errc code);

// {"error": {"code", "ret", "message"}} with the status (and Retry-After for busy).
Response error_response(const Error& error);

}  // namespace unipay::http
