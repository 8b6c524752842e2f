// What idempotency_keys keeps of a create answer, and how a replay reads it back: the
// client token is sealed in place (net/token_seal.hpp), so the stored body has the same
// length and shape and the replay answers the first answer's exact bytes (DESIGN §7.6).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "config/result.hpp"
#include "net/token_seal.hpp"
#include "storage/bill_store.hpp"

namespace unipay {

// Seals `token`, which record.response_body holds at byte `token_at` (asserted), in
// place, and records where, for which bill and with which key.
void seal_token_in(storage::IdempotencyRecord& record, size_t token_at, std::string_view token,
                   std::string_view bill_id, const TokenKey& key);

// The first answer as it was sent. A record sealed with another key (this node's
// server.token_key_file differs, or the key was lost) or with a damaged seal is
// storage_read: the answer cannot be rebuilt, and a different token is never invented.
Result<std::string> replayed_answer(const storage::IdempotencyRecord& record, const TokenKey& key);

}  // namespace unipay
