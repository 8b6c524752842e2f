// Internal to the HTTP server: the answer head every response shares, and the writer of
// answers whose body comes from a BodySource (HTTP/1.1 chunked transfer encoding). The
// session (net/http_session.cpp) hands a connection's stream over for one answer and gets
// it back through `done`.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <chrono>
#include <functional>
#include <memory>

#include "net/http_types.hpp"

namespace unipay::http::detail {

// Server, content type (unless empty or no_body) and the handler's extra headers; a
// header that would break the header block is dropped and logged.
void set_head_fields(boost::beast::http::response_header<>& out, const Response& in, bool no_body);

struct StreamLimits {
  std::chrono::milliseconds write_timeout;   // one chunk written to a peer that reads
  std::chrono::milliseconds piece_deadline;  // one piece produced by the source
};

// Writes `head` (made chunked here), then every piece of `source` as one chunk, then the
// final chunk with the last piece's trailers. done(true) when all went out; done(false)
// when the source failed, a write failed or a limit passed: the caller must then close the
// connection (the final chunk is missing, so the peer knows the answer is cut).
// Runs on the stream's executor; done is called there, once.
void write_streamed(boost::beast::tcp_stream& stream,
                    boost::beast::http::response<boost::beast::http::empty_body> head,
                    std::shared_ptr<BodySource> source, StreamLimits limits,
                    std::function<void(bool ok)> done);

}  // namespace unipay::http::detail
