-- The closed sets of names (a bill's state and type, a job's kind) are checked through
-- domains. Same rule, cheaper on every write: PostgreSQL re-reads each CHECK constraint of a
-- table from its stored text and re-plans it for every INSERT and UPDATE it executes
-- (ExecRelCheck: stringToNode, then the planner folds `IN (...)` into an array), and a bill is
-- written three times per lifecycle; a domain's constraint is read and planned once per
-- connection (the type cache), so the table's CHECK shrinks to a cast. Measured:
-- docs/BENCHMARKS.md "CHECK constraints, re-read for every write".
-- The columns stay text: a column whose type became a domain would change the result type of
-- statements that nodes of the previous release prepared, which PostgreSQL then refuses
-- ("cached plan must not change result type") until they reconnect.
CREATE DOMAIN bill_state_name AS text
  CONSTRAINT bill_state_name_check CHECK (VALUE IN ('created', 'paid', 'failed', 'closed', 'delivered', 'refunded'));
CREATE DOMAIN bill_type_name AS text
  CONSTRAINT bill_type_name_check CHECK (VALUE IN ('purchase', 'recharge'));
CREATE DOMAIN job_kind_name AS text
  CONSTRAINT job_kind_name_check CHECK (VALUE IN ('delivery', 'verify'));
-- Each ALTER reads its table once to validate (the columns are NOT NULL: the cast is the test).
ALTER TABLE bills DROP CONSTRAINT bills_state_check, DROP CONSTRAINT bills_bill_type_check,
  ADD CONSTRAINT bills_state_check CHECK (state::bill_state_name IS NOT NULL),
  ADD CONSTRAINT bills_bill_type_check CHECK (bill_type::bill_type_name IS NOT NULL);
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check,
  ADD CONSTRAINT jobs_kind_check CHECK (kind::job_kind_name IS NOT NULL);
