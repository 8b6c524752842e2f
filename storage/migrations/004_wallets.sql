-- Wallets (issue 13): accounts, an append-only ledger, holds, and the record of every
-- operation's first result for op_id replays. Money is BIGINT minor units.
-- The wallet actor of an account is its only writer; every change is one statement that
-- compares and sets (app_id, account_id, version) and writes what the change implies
-- (storage/wallet_store.cpp: commit_statement).

-- The unit of the app's recharge account (a recharge bill credits account user_id in it).
ALTER TABLE apps ADD COLUMN wallet_unit text NOT NULL DEFAULT 'COIN'
  CHECK (wallet_unit ~ '^[A-Z0-9_]{1,16}$');

CREATE TABLE accounts (
  app_id         text NOT NULL REFERENCES apps(app_id),
  account_id     text NOT NULL,
  unit           text NOT NULL CHECK (unit ~ '^[A-Z0-9_]{1,16}$'),
  balance_minor  bigint NOT NULL DEFAULT 0,
  held_minor     bigint NOT NULL DEFAULT 0,
  frozen         boolean NOT NULL DEFAULT false,
  version        bigint NOT NULL DEFAULT 1,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  PRIMARY KEY (app_id, account_id),
  -- available = balance - held >= 0, written without arithmetic so it cannot overflow
  CHECK (held_minor >= 0),
  CHECK (held_minor <= balance_minor)
);

-- One line per change of a balance; never updated or deleted (see the trigger below).
CREATE TABLE ledger_entries (
  entry_id              bigserial PRIMARY KEY,
  app_id                text NOT NULL,
  account_id            text NOT NULL,
  op_id                 text NOT NULL,
  kind                  text NOT NULL CHECK (kind IN ('credit', 'debit', 'capture', 'recharge', 'refund')),
  amount_minor          bigint NOT NULL,
  balance_before_minor  bigint NOT NULL,
  balance_after_minor   bigint NOT NULL,
  hold_id               text,
  reason                text NOT NULL DEFAULT '',
  -- The caller's JSON text as the API formatted it (text, not jsonb, so an op_id replay
  -- answers the same bytes); NULL when none.
  info                  text,
  created_at            timestamptz NOT NULL,
  FOREIGN KEY (app_id, account_id) REFERENCES accounts (app_id, account_id),
  UNIQUE (app_id, op_id),
  CHECK (balance_after_minor = balance_before_minor + amount_minor),
  -- credits and recharges add, the other kinds take away; nothing is ever zero
  CHECK ((kind IN ('credit', 'recharge') AND amount_minor > 0)
      OR (kind IN ('debit', 'capture', 'refund') AND amount_minor < 0)),
  CHECK ((kind = 'capture') = (hold_id IS NOT NULL))
);
-- An account's ledger in order (paging, chain check), and an app's day (statements).
CREATE INDEX ledger_entries_account ON ledger_entries (app_id, account_id, entry_id);
CREATE INDEX ledger_entries_app_created ON ledger_entries (app_id, created_at, entry_id);

CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger_entries is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();

CREATE TABLE holds (
  hold_id         text PRIMARY KEY,
  app_id          text NOT NULL,
  account_id      text NOT NULL,
  op_id           text NOT NULL,
  amount_minor    bigint NOT NULL CHECK (amount_minor > 0),
  captured_minor  bigint NOT NULL DEFAULT 0,
  state           text NOT NULL CHECK (state IN ('active', 'captured', 'voided', 'expired')),
  expires_at      timestamptz NOT NULL,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  FOREIGN KEY (app_id, account_id) REFERENCES accounts (app_id, account_id),
  CHECK (captured_minor >= 0 AND captured_minor <= amount_minor),
  CHECK (state = 'captured' OR captured_minor = 0)
);
-- An account's active holds (loading the account), and the expiry sweep.
CREATE INDEX holds_account_active ON holds (app_id, account_id) WHERE state = 'active';
CREATE INDEX holds_due ON holds (expires_at) WHERE state = 'active';

-- The first result of every operation that carries an op_id (credit, debit, recharge,
-- refund, hold, capture, void), including those that write no entry. It keeps facts, not
-- bytes: the entry (by entry_id, immutable), the hold's state then, and the account as the
-- operation left it, so a replay formats the same answer from the same facts. (The answer
-- names the entry_id, which the database assigns in the same statement.)
CREATE TABLE wallet_ops (
  app_id         text NOT NULL,
  op_id          text NOT NULL,
  account_id     text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('credit', 'debit', 'recharge', 'refund', 'hold', 'capture', 'void')),
  fingerprint    text NOT NULL,           -- hex SHA-256 of the canonical parameters
  error_code     text NOT NULL DEFAULT '',  -- '' for success, else the error it answered
  error_message  text NOT NULL DEFAULT '',
  entry_id       bigint,
  hold_id        text,
  hold_state     text CHECK (hold_state IN ('active', 'captured', 'voided', 'expired')),
  balance_minor  bigint NOT NULL,         -- the account right after the operation
  held_minor     bigint NOT NULL,
  frozen         boolean NOT NULL,
  version        bigint NOT NULL,
  created_at     timestamptz NOT NULL,
  PRIMARY KEY (app_id, op_id)
);

-- The finance statement of a day pages through the bills paid that day.
CREATE INDEX bills_app_paid ON bills (app_id, paid_at, bill_id) WHERE paid_at IS NOT NULL;
