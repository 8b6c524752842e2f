-- The closed sets of names (a bill's state and type, a job's kind) become domains instead of
-- CHECK constraints of their tables. Same rule, cheaper on every write: PostgreSQL re-reads a
-- table's CHECK constraints from their stored text and re-plans them for every INSERT and
-- UPDATE it executes (ExecRelCheck: stringToNode, then the planner folds `IN (...)` into an
-- array), and a bill is written three times per lifecycle; a domain's constraint is read and
-- planned once per connection (the type cache). Measured: docs/BENCHMARKS.md "CHECK
-- constraints re-read per statement".
-- The domains start without a constraint so that changing a column's type is a relabel
-- (no table rewrite); adding the constraint then reads each table once to validate it.
-- Columns keep reading as text: PostgreSQL sends a domain column's base type to clients.
CREATE DOMAIN bill_state AS text;
CREATE DOMAIN bill_type AS text;
CREATE DOMAIN job_kind AS text;
-- A trigger whose WHEN clause names a column blocks a change of that column's type.
DROP TRIGGER bills_awaiting_payment_follows_state ON bills;
ALTER TABLE bills DROP CONSTRAINT bills_state_check, DROP CONSTRAINT bills_bill_type_check,
  ALTER COLUMN state TYPE bill_state, ALTER COLUMN bill_type TYPE bill_type;
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check, ALTER COLUMN kind TYPE job_kind;
ALTER DOMAIN bill_state ADD CONSTRAINT bill_state_check
  CHECK (VALUE IN ('created', 'paid', 'failed', 'closed', 'delivered', 'refunded'));
ALTER DOMAIN bill_type ADD CONSTRAINT bill_type_check CHECK (VALUE IN ('purchase', 'recharge'));
ALTER DOMAIN job_kind ADD CONSTRAINT job_kind_check CHECK (VALUE IN ('delivery', 'verify'));
-- As migration 007 created it.
CREATE TRIGGER bills_awaiting_payment_follows_state BEFORE INSERT OR UPDATE ON bills
  FOR EACH ROW WHEN (NEW.awaiting_payment IS DISTINCT FROM (NEW.state = 'created'))
  EXECUTE FUNCTION bills_set_awaiting_payment();
