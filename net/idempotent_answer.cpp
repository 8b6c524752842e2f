#include "net/idempotent_answer.hpp"

#include <cassert>

namespace unipay {

void seal_token_in(storage::IdempotencyRecord& record, size_t token_at, std::string_view token,
                   std::string_view bill_id, const TokenKey& key) {
  std::string& body = record.response_body;
  assert(body.compare(token_at, token.size(), token) == 0);
  body.replace(token_at, token.size(), seal_client_token(token, key, bill_id));
  record.sealed_token =
      storage::SealedTokenPlace{static_cast<int64_t>(token_at), std::string(bill_id), key.id};
}

Result<std::string> replayed_answer(const storage::IdempotencyRecord& record, const TokenKey& key) {
  if (!record.sealed_token) return record.response_body;
  const storage::SealedTokenPlace& place = *record.sealed_token;
  if (place.key_id != key.id) {
    return make_error(Errc::storage_read,
                      "the first answer to this Idempotency-Key was sealed with token key " + place.key_id +
                          " and this node has key " + key.id +
                          "; every node needs the same server.token_key_file");
  }
  const std::string& body = record.response_body;
  const size_t at = static_cast<size_t>(place.token_at);
  // The sealed token is a JSON string's whole content: a quote before it, one after it.
  const size_t end =
      place.token_at > 0 && at < body.size() && body[at - 1] == '"' ? body.find('"', at) : std::string::npos;
  auto token = end == std::string::npos
                   ? Result<std::string>(make_error(Errc::storage_read, "no token there"))
                   : unseal_client_token(std::string_view(body).substr(at, end - at), key, place.bill_id);
  if (!token) return make_error(Errc::storage_read, "the stored answer to this Idempotency-Key is damaged");
  std::string answer = body;
  answer.replace(at, token->size(), *token);
  return answer;
}

}  // namespace unipay
