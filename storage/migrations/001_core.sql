-- Core schema: apps, bills, callbacks audit, idempotency keys, nonces, jobs.
-- Money is BIGINT minor units. Times are timestamptz (UTC on the wire).

CREATE TABLE apps (
  app_id        text PRIMARY KEY,
  name          text NOT NULL,
  delivery_url  text NOT NULL,
  channels      jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- HMAC secrets per app; the two highest generations are accepted (rotation).
CREATE TABLE app_secrets (
  app_id      text NOT NULL REFERENCES apps(app_id),
  generation  integer NOT NULL,
  secret      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (app_id, generation)
);

CREATE TABLE catalog_items (
  app_id        text NOT NULL REFERENCES apps(app_id),
  item_id       text NOT NULL,
  amount_minor  bigint NOT NULL CHECK (amount_minor > 0),
  currency      text NOT NULL,
  coins         bigint NOT NULL DEFAULT 0 CHECK (coins >= 0),
  PRIMARY KEY (app_id, item_id)
);

CREATE TABLE bills (
  bill_id            text PRIMARY KEY,
  app_id             text NOT NULL REFERENCES apps(app_id),
  user_id            text NOT NULL,
  item_id            text NOT NULL,
  channel            text NOT NULL,
  bill_type          text NOT NULL CHECK (bill_type IN ('purchase', 'recharge')),
  amount_minor       bigint NOT NULL CHECK (amount_minor > 0),
  currency           text NOT NULL,
  coins              bigint NOT NULL DEFAULT 0,
  passinfo           text NOT NULL DEFAULT '',
  os                 text NOT NULL DEFAULT '',
  app_version        text NOT NULL DEFAULT '',
  sdk_version        text NOT NULL DEFAULT '',
  map_user_id        text NOT NULL DEFAULT '',
  extra              jsonb NOT NULL DEFAULT '{}'::jsonb,
  state              text NOT NULL CHECK (state IN ('created','paid','failed','closed','delivered','refunded')),
  version            bigint NOT NULL,
  provider_trade_no  text,
  client_token_hash  text NOT NULL,
  created_at         timestamptz NOT NULL,
  paid_at            timestamptz,
  delivered_at       timestamptz,
  expires_at         timestamptz NOT NULL,
  late_payment       boolean NOT NULL DEFAULT false
);
-- One paid bill per provider trade: a replayed or forged trade number cannot pay twice.
CREATE UNIQUE INDEX bills_channel_trade ON bills (channel, provider_trade_no)
  WHERE provider_trade_no IS NOT NULL;
CREATE INDEX bills_app_bill ON bills (app_id, bill_id);
CREATE INDEX bills_app_user_bill ON bills (app_id, user_id, bill_id);
CREATE INDEX bills_expiring ON bills (expires_at) WHERE state = 'created';

-- Audit of every callback, accepted or refused.
CREATE TABLE callbacks (
  callback_id  bigserial PRIMARY KEY,
  received_at  timestamptz NOT NULL DEFAULT now(),
  app_id       text NOT NULL,
  channel      text NOT NULL,
  bill_id      text NOT NULL DEFAULT '',
  body_sha256  text NOT NULL,
  verdict      text NOT NULL,
  detail       text NOT NULL DEFAULT ''
);
CREATE INDEX callbacks_bill ON callbacks (bill_id);

CREATE TABLE idempotency_keys (
  app_id          text NOT NULL,
  idem_key        text NOT NULL,
  request_sha256  text NOT NULL,
  status          integer NOT NULL,
  response_body   text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (app_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE nonces (
  app_id   text NOT NULL,
  nonce    text NOT NULL,
  seen_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (app_id, nonce)
);
CREATE INDEX nonces_seen ON nonces (seen_at);

-- Delivery (and later verify) jobs; claimed with FOR UPDATE SKIP LOCKED and a lease.
CREATE TABLE jobs (
  job_id           bigserial PRIMARY KEY,
  kind             text NOT NULL CHECK (kind IN ('delivery', 'verify')),
  bill_id          text NOT NULL REFERENCES bills(bill_id),
  attempt          integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL,
  lease_owner      text,
  lease_until      timestamptz,
  last_error       text NOT NULL DEFAULT '',
  created_at       timestamptz NOT NULL DEFAULT now(),
  dead_at          timestamptz,
  UNIQUE (kind, bill_id)
);
CREATE INDEX jobs_due ON jobs (next_attempt_at) WHERE dead_at IS NULL;
