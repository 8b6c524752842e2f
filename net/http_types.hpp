// Plain HTTP request/response values passed between the Beast sessions (net/http_server)
// and the handlers. No Beast or asio here: handlers compile without the heavy headers.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace unipay::http {

struct Header {
  std::string name;  // lowercase
  std::string value;
};

struct Request {
  std::string method;           // "GET", "POST", ...
  std::string target;           // path with query, exactly as received
  std::string path;             // target without the query
  std::string query;            // after '?', without it ("" when none)
  std::vector<Header> headers;  // names lowercased
  std::string body;
  std::string remote_address;
  std::string request_id;  // made by the session for logs
  std::chrono::steady_clock::time_point received_at;

  // The first header with this (lowercase) name, or "" when absent.
  std::string_view header(std::string_view lowercase_name) const;
  bool has_header(std::string_view lowercase_name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<Header> headers;  // extra headers (Retry-After, X-Unipay-Signature, ...)
  std::string body;
};

// Called exactly once per request, from any thread; the session hops back to its own
// executor before writing.
using Responder = std::function<void(Response)>;

// The application side of the server: gets each complete, size-checked request.
using RequestHandler = std::function<void(Request, Responder)>;

// Runs `fn` soon on one of the io threads (so continuations of storage/actor callbacks
// never do request work on a storage or actor thread).
using Post = std::function<void(std::function<void()>)>;

// Decodes %XX and '+' in a query component; returns false on malformed escapes.
bool url_decode(std::string_view in, std::string& out);
// Splits "a=1&b=2" into decoded pairs; false on malformed escapes.
bool parse_query(std::string_view query, std::vector<std::pair<std::string, std::string>>& out);

}  // namespace unipay::http
