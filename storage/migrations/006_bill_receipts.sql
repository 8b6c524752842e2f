-- The last store receipt a client submitted for a bill whose store could not say yet
-- (verify answered 202: the store unreachable, or the purchase pending). Google's query
-- needs the purchase token, so the bill's verify job asks the store with this one.
-- Not the bill: written by the verify handler, read by the verify job.
CREATE TABLE bill_receipts (
  bill_id     text PRIMARY KEY REFERENCES bills(bill_id),
  receipt     text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
