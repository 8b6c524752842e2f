// The create answer kept for an Idempotency-Key: sealed in place when stored, the exact
// first bytes when replayed, and a clear refusal when this node cannot open the seal.
#include "net/idempotent_answer.hpp"

#include <gtest/gtest.h>

#include <string>

#include "net/crypto.hpp"

namespace unipay {
namespace {

struct Stored {
  std::string answer;
  std::string token;
  storage::IdempotencyRecord record;
};

// A record as bill_create keeps it, with `extra` holding a decoy "client_token" key.
Stored stored_answer(const TokenKey& key) {
  Stored s;
  s.token = crypto::random_base64url(16);
  const std::string head = R"({"bill":{"bill_id":"b_01","extra":{"client_token":"x"}},"client_token":")";
  s.answer = head + s.token + R"(","pay":{"bill_id":"b_01"}})";
  s.record = storage::IdempotencyRecord{"app_1", "key-1", "sha", 201, s.answer, {}};
  seal_token_in(s.record, head.size(), s.token, "b_01", key);
  return s;
}

// Proves: the stored body no longer holds the token, has the answer's length, records
// where the seal is, and replays as the first answer byte for byte.
TEST(IdempotentAnswer, StoresSealedAndReplaysExactBytes) {
  const TokenKey key = make_token_key(crypto::random_hex(32));
  Stored s = stored_answer(key);
  EXPECT_EQ(s.record.response_body.find(s.token), std::string::npos);
  EXPECT_EQ(s.record.response_body.size(), s.answer.size());
  ASSERT_TRUE(s.record.sealed_token.has_value());
  EXPECT_EQ(s.record.sealed_token->bill_id, "b_01");
  EXPECT_EQ(s.record.sealed_token->key_id, key.id);
  auto replayed = replayed_answer(s.record, key);
  ASSERT_TRUE(replayed.ok()) << replayed.error().message;
  EXPECT_EQ(*replayed, s.answer);
}

// Proves: a node with another key refuses to replay (storage_read, naming the setting)
// rather than answer a token that would not work.
TEST(IdempotentAnswer, AnotherKeyIsRefusedNotGuessed) {
  const TokenKey key = make_token_key(crypto::random_hex(32));
  Stored s = stored_answer(key);
  auto replayed = replayed_answer(s.record, make_token_key(crypto::random_hex(32)));
  ASSERT_FALSE(replayed.ok());
  EXPECT_EQ(replayed.error().code, Errc::storage_read);
  EXPECT_NE(replayed.error().message.find("server.token_key_file"), std::string::npos);
}

// Proves: a seal position that does not point at a sealed string is storage_read.
TEST(IdempotentAnswer, DamagedSealIsRefused) {
  const TokenKey key = make_token_key(crypto::random_hex(32));
  for (int64_t at : {int64_t{0}, int64_t{3}, int64_t{10000}}) {
    Stored s = stored_answer(key);
    s.record.sealed_token->token_at = at;
    auto replayed = replayed_answer(s.record, key);
    ASSERT_FALSE(replayed.ok()) << at;
    EXPECT_EQ(replayed.error().code, Errc::storage_read);
  }
}

// Proves: a record without a seal (a refusal, or a row stored before sealing) replays as stored.
TEST(IdempotentAnswer, UnsealedRecordReplaysAsStored) {
  storage::IdempotencyRecord record{"app_1", "key-1", "sha", 400, R"({"error":{}})", {}};
  auto replayed = replayed_answer(record, make_token_key(crypto::random_hex(32)));
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(*replayed, R"({"error":{}})");
}

}  // namespace
}  // namespace unipay
