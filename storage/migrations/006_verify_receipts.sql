-- A verify job may carry the receipt a client submitted (POST /v1/bills/{id}/verify) when
-- the provider could not be reached to check it and the channel has no query by bill (an
-- Apple transactionId looked up with the App Store Server API): the janitor repeats that
-- lookup until it answers. '' for the jobs that need none (deliveries, bill queries).
ALTER TABLE jobs ADD COLUMN receipt text NOT NULL DEFAULT '';
