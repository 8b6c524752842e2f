// Signing for streamed answers: the body is never whole in memory, so its signature
// (the same HMAC as signing::sign_response over the whole body) is computed as the pieces
// pass and sent as the trailer X-Unipay-Signature after the last one.
#pragma once

#include <memory>
#include <string>

#include "net/http_types.hpp"

namespace unipay {

inline constexpr std::string_view kSignatureHeader = "x-unipay-signature";

// Wraps `inner`: every piece passes unchanged; the last one gets the signature trailer.
// The answer must declare it (`Trailer: X-Unipay-Signature`; see signed_stream_headers).
std::shared_ptr<http::BodySource> sign_body_source(std::shared_ptr<http::BodySource> inner,
                                                   std::string secret, int status, std::string nonce);

}  // namespace unipay
