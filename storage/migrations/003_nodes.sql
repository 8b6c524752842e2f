-- One row per unipayd process (incarnation): the lease owner it writes into jobs, and a
-- heartbeat that tells the other processes it is alive. A process starting takes over only
-- the leases of incarnations that are dead (storage/node_store.cpp says how that is judged).
CREATE TABLE nodes (
  owner         text PRIMARY KEY,         -- name || '/' || incarnation; jobs.lease_owner holds it
  name          text NOT NULL,            -- server.node_id as configured (may repeat)
  incarnation   text NOT NULL UNIQUE,     -- random per process start; tags its connections
  host          text NOT NULL DEFAULT '',
  pid           integer NOT NULL DEFAULT 0,
  started_at    timestamptz NOT NULL DEFAULT now(),
  heartbeat_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX nodes_heartbeat ON nodes (heartbeat_at);
