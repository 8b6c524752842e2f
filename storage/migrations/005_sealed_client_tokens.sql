-- Stored idempotent answers keep their client token sealed with a key outside the
-- database (net/token_seal.hpp): where it sits in response_body, the bill whose id
-- derives its keystream, and which key sealed it. NULL: nothing sealed (rows written
-- before this version, and refusals, which carry no token).
ALTER TABLE idempotency_keys
  ADD COLUMN token_at       integer,
  ADD COLUMN token_bill_id  text,
  ADD COLUMN token_key_id   text;
