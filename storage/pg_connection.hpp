// Internal libpq helpers shared by the storage sources; not part of the storage API.
// Everything here blocks: call it only on threads storage owns (or at start-up).
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/result.hpp"
#include "storage/database.hpp"

namespace unipay::storage::pg {

struct ConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using Conn = std::unique_ptr<PGconn, ConnCloser>;

struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultClearer>;

// Connects with `conninfo` exactly as libpq reads it (a postgresql:// URI or key=value
// pairs). Adds defaults the conninfo may override: a connect timeout and TCP keepalives
// (so a dead peer is noticed), and application_name = `role` (so pg_stat_activity shows
// which storage thread owns a backend). With an `incarnation` (a running unipayd's, see
// node_store.hpp) the name is "<role> <incarnation>" and overrides any name in the conninfo:
// the other processes judge this one alive by it. Fails with `errc` and libpq's message.
Result<Conn> connect(const std::string& conninfo, const char* role, Errc errc,
                     const std::string& incarnation = {});

// libpq's message for the connection / result, without the trailing newline.
std::string connection_error(const PGconn* conn);
// "SQLSTATE 23505: duplicate key value violates unique constraint ..." for an error result.
std::string result_error(const PGresult* result);
// The five-character SQLSTATE of an error result ("23505"), or "" when it has none.
std::string result_sqlstate(const PGresult* result);

// Copies a PGRES_TUPLES_OK / PGRES_COMMAND_OK result into Rows (text format).
Rows to_rows(const PGresult* result);

// The statement's parameters as libpq wants them: values (NULL for SQL NULL) pointing into
// `statement`, which must outlive the call that uses them, and their byte lengths.
struct ParamArrays {
  std::vector<const char*> values;
  std::vector<int> lengths;
  int count() const { return static_cast<int>(values.size()); }
};
ParamArrays param_arrays(const Statement& statement);

// Parameters travel in text format, where libpq reads each value up to its first NUL
// (it honours lengths for binary format only) and PostgreSQL's text types cannot hold
// U+0000 at all: a value with a NUL byte would be stored cut short. Such a statement is
// refused with invalid_parameter, a refusal that can never succeed. Every entry point that
// queues or runs statements checks this before anything is sent.
Status check_params(const Statement& statement);

// Queues one statement with text parameters (PQsendQueryParams). 1 on success. The caller
// has run check_params.
int send_statement(PGconn* conn, const Statement& statement);

// Runs one statement outside any explicit transaction (autocommit). A statement error
// fails with `errc` and the server's message; a parameter with a NUL, with invalid_parameter.
Result<Rows> exec(PGconn* conn, const Statement& statement, Errc errc);

// Runs SQL text through the simple query protocol, which accepts several statements
// (migration files); fails with `errc`.
Status exec_script(PGconn* conn, const char* sql, Errc errc);

// True when the connection is usable: reads whatever the server sent meanwhile (a FATAL
// from pg_terminate_backend, EOF after a server restart) without blocking.
bool alive(PGconn* conn);

// `conninfo` with its database replaced by `dbname`, as key=value pairs.
Result<std::string> with_dbname(const std::string& conninfo, const std::string& dbname);

// A value quoted for a key=value conninfo: in single quotes, with \ and ' escaped by a
// backslash (paths may hold spaces).
std::string quote_conninfo_value(std::string_view value);

}  // namespace unipay::storage::pg
