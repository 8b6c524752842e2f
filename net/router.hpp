// Maps method + path to a handler. Path patterns use "{}" for one captured segment.
#pragma once

#include "net/call.hpp"
#include "net/http_types.hpp"

namespace unipay {

// The request handler given to the HTTP server: routes, and answers 404 for unknown paths
// and 405 for a known path with another method. `api` must outlive the server.
http::RequestHandler make_router(const Api& api);

// Matches `path` against `pattern`; on success fills `params` with the "{}" segments.
bool match_route(std::string_view pattern, std::string_view path, std::vector<std::string>& params);

}  // namespace unipay
