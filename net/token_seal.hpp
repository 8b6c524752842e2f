// Client tokens kept in idempotency_keys.response_body (the 201 answer replayed byte for
// byte, DESIGN §7.6) are stored sealed, so a database dump holds no usable bearer token.
// The key lives outside the database (server.token_key_file, net/token_key_file.hpp).
//
// Sealing is a one-time pad over the token's base64url alphabet: character i becomes
// alphabet[(index(c_i) + k_i) mod 64], where k = HMAC-SHA256(key, "client-token\n" +
// bill_id). Bill ids are unique, so no keystream is ever used twice; the sealed token has
// the token's length and alphabet, so it sits in the stored body in the token's place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/result.hpp"

namespace unipay {

struct TokenKey {
  std::string secret;  // 64 hex characters (256 bits)
  std::string id;      // 16 hex characters naming the key (HMAC of a fixed text), never secret
};

// The key with its id derived from `secret`.
TokenKey make_token_key(std::string secret);

inline constexpr size_t kMaxSealedTokenBytes = 32;  // one HMAC-SHA256 of keystream

// `token` is base64url (A-Z a-z 0-9 - _) of at most kMaxSealedTokenBytes characters.
std::string seal_client_token(std::string_view token, const TokenKey& key, std::string_view bill_id);
// The inverse; invalid_parameter when `sealed` is not base64url of an allowed length.
Result<std::string> unseal_client_token(std::string_view sealed, const TokenKey& key,
                                        std::string_view bill_id);

}  // namespace unipay
