// Plain HTTP request/response values passed between the Beast sessions (net/http_server)
// and the handlers. No Beast or asio here: handlers compile without the heavy headers.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace unipay::http {

struct Header {
  std::string name;  // lowercase
  std::string value;
};

// Tells a handler that holds a request for long (a long poll) that its client went away,
// so it can free what it holds at once instead of at its deadline. The session watches the
// socket only once a handler asks (on_gone), so short requests cost nothing.
class ClientWatch {
 public:
  // `start_watching` runs once, on the first on_gone, from the handler's thread.
  explicit ClientWatch(std::function<void()> start_watching) : start_watching_(std::move(start_watching)) {}

  // Runs `fn` once if the client closes its connection before the answer: at once when it
  // already has. Any thread; `fn` must only hand work on (send a message) and return.
  void on_gone(std::function<void()> fn);
  // The session saw the connection close (EOF or error) while the answer was pending.
  void gone();
  // The answer was sent (or the session closed): `fn` will never run, and is released.
  void clear();
  bool is_gone() const;

 private:
  mutable std::mutex mutex_;  // handler threads and the session's strand meet here
  std::function<void()> start_watching_;
  std::function<void()> on_gone_;
  bool gone_ = false;
  bool cleared_ = false;
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
  std::shared_ptr<ClientWatch> client;  // set by the server's sessions; may be null (tests)

  // The first header with this (lowercase) name, or "" when absent.
  std::string_view header(std::string_view lowercase_name) const;
  bool has_header(std::string_view lowercase_name) const;
};

// One piece of a streamed body (see BodySource).
struct BodyPiece {
  std::string data;              // may be empty
  bool last = false;             // nothing follows: the final chunk goes out with the trailers
  std::vector<Header> trailers;  // with the last piece only (declared by a Trailer header)
};

// A body too large to hold whole (a finance statement), written with chunked transfer
// encoding. The session asks for the next piece only once the previous one is written, so
// one piece per connection is in memory. next() calls `done` exactly once, from any thread,
// with the piece, or with none when the body cannot be completed (a failed read): the
// session then closes the connection without the final chunk, so the client sees a cut
// answer, never a short one that looks complete.
class BodySource {
 public:
  using PieceDone = std::function<void(std::optional<BodyPiece>)>;
  virtual ~BodySource() = default;
  virtual void next(PieceDone done) = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<Header> headers;  // extra headers (Retry-After, X-Unipay-Signature, ...)
  std::string body;
  std::shared_ptr<BodySource> stream;  // set: the body comes from it, chunked (`body` unused)
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
