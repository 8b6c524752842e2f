-- Every delivery attempt on record (DESIGN §3 "Delivery to the game server"): for support,
-- audit and checking a player's account against what the game server was told.

CREATE TABLE delivery_attempts (
  attempt_id   bigserial PRIMARY KEY,           -- insertion order: attempts of a bill in time order
  attempt_key  text NOT NULL UNIQUE,            -- made by the node per attempt: a retried insert is a no-op
  bill_id      text NOT NULL REFERENCES bills(bill_id),
  delivery_id  text NOT NULL,
  attempt      integer NOT NULL CHECK (attempt >= 1),  -- restarts at 1 after an admin replay
  node_id      text NOT NULL,
  started_at   timestamptz NOT NULL,
  http_status  integer,                         -- NULL: no HTTP answer (network error, timeout, not sent)
  error        text NOT NULL DEFAULT '',        -- '' when the game server answered 2xx
  latency_ms   bigint CHECK (latency_ms >= 0)   -- NULL when no request was sent
);
CREATE INDEX delivery_attempts_bill ON delivery_attempts (bill_id, attempt_id);
