-- Let a bill's later transitions update its row in place (a HOT update: no new entry in any
-- of the bills indexes). PostgreSQL does so only when no column an index names changes, and
-- the expiry index named `state` in its predicate, so paid → delivered wrote a new entry into
-- every index of bills. The predicate now names `awaiting_payment`, which changes once, when a
-- bill leaves `created`: paid → delivered and delivered → refunded change no indexed column
-- (`paid` itself still sets the indexed trade number and paid_at).
-- No table rewrite: a column with a constant default is added in place; only the unpaid bills
-- are updated; the CHECK and the new index each read the table once (a scan, measured in
-- docs/BENCHMARKS.md "HOT bill updates, landed"; docs/OPERATIONS.md "Upgrades").
ALTER TABLE bills ADD COLUMN awaiting_payment boolean NOT NULL DEFAULT false;
UPDATE bills SET awaiting_payment = true WHERE state = 'created';
-- Every statement of this binary that writes `state` writes this column with it. A writer
-- that does not know the column (a node still running the previous binary during a rolling
-- upgrade, a hand edit of `state`) gets it set here, so its writes keep working: the WHEN
-- clause is evaluated without calling the function, which runs only for such writes.
CREATE FUNCTION bills_set_awaiting_payment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.awaiting_payment := (NEW.state = 'created');
  RETURN NEW;
END $$;
CREATE TRIGGER bills_awaiting_payment_follows_state BEFORE INSERT OR UPDATE ON bills
  FOR EACH ROW WHEN (NEW.awaiting_payment IS DISTINCT FROM (NEW.state = 'created'))
  EXECUTE FUNCTION bills_set_awaiting_payment();
-- The invariant the expiry index relies on: a paid bill never sits where expiry closes it.
ALTER TABLE bills ADD CONSTRAINT bills_awaiting_payment_is_created
  CHECK (awaiting_payment = (state = 'created'));
DROP INDEX bills_expiring;
-- bill_id too: expiry walks the index in its (expires_at, bill_id) cursor order.
CREATE INDEX bills_expiring ON bills (expires_at, bill_id) WHERE awaiting_payment;
-- Room on each new page for the in-place versions a bill gets within seconds of its insert;
-- existing pages are not rewritten. Vacuum after 2% of the rows changed rather than 20%: on
-- millions of bills the default is one long pass every few minutes.
ALTER TABLE bills SET (fillfactor = 85, autovacuum_vacuum_scale_factor = 0.02);
