// Prepared statements per connection: PostgreSQL then parses and plans each distinct SQL
// text once per session instead of on every execution (the bench measured parse + plan at
// 60% of PostgreSQL's CPU). Only for connections owned by one storage thread (the writer's
// and each reader's). Blocking; never call it inside pipeline mode.
#pragma once

#include <libpq-fe.h>

#include "storage/database.hpp"

namespace unipay::storage::pg {

// The prepared name of `statement` on `conn`, preparing it now on first use; nullptr when
// it cannot be prepared (the per-connection limit, a broken connection, or an SQL error that
// the plain send will then report as usual).
const char* prepared_name(PGconn* conn, const Statement& statement);

// Queues a statement by its prepared name when it has one, else as text.
int send_prepared_or_text(PGconn* conn, const Statement& statement, const char* name);

// Runs a statement (autocommit) by its prepared name when possible, else as text.
Result<Rows> exec_prepared(PGconn* conn, const Statement& statement, Errc errc);

}  // namespace unipay::storage::pg
