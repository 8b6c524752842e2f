#include "storage/pg_prepared.hpp"

#include <cassert>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/pg_connection.hpp"

namespace unipay::storage::pg {
namespace {

// Statement texts are a fixed, small set; the bound only guards against a future caller
// that builds SQL with values in it.
constexpr size_t kMaxPreparedPerConnection = 256;

struct SessionStatements {
  int backend_pid = 0;  // a reset connection is a new session: its statements are gone
  std::unordered_map<std::string, std::string> names;  // SQL text → prepared name
};

// Each storage thread owns its connections, so a thread-local table needs no lock.
SessionStatements& session_of(PGconn* conn) {
  thread_local std::unordered_map<const PGconn*, SessionStatements> sessions;
  SessionStatements& s = sessions[conn];
  if (s.backend_pid != PQbackendPID(conn)) {
    s.backend_pid = PQbackendPID(conn);
    s.names.clear();
  }
  return s;
}

}  // namespace

const char* prepared_name(PGconn* conn, const Statement& statement) {
  if (PQstatus(conn) != CONNECTION_OK || PQpipelineStatus(conn) != PQ_PIPELINE_OFF) return nullptr;
  SessionStatements& session = session_of(conn);
  auto it = session.names.find(statement.sql);
  if (it != session.names.end()) return it->second.c_str();
  if (session.names.size() >= kMaxPreparedPerConnection) return nullptr;
  std::string name = statement.name != nullptr ? std::string(statement.name)
                                               : "unipay_" + std::to_string(session.names.size());
  ResultPtr result(PQprepare(conn, name.c_str(), statement.sql.c_str(), 0, nullptr));
  if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) return nullptr;
  return session.names.emplace(statement.sql, std::move(name)).first->second.c_str();
}

int send_prepared_or_text(PGconn* conn, const Statement& statement, const char* name) {
  if (name == nullptr) return send_statement(conn, statement);
  assert(check_params(statement).ok() && "callers refuse NUL parameters before sending");
  ParamArrays params = param_arrays(statement);
  return PQsendQueryPrepared(conn, name, params.count(), params.values.data(), params.lengths.data(), nullptr,
                             /*resultFormat=*/0);
}

Result<Rows> exec_prepared(PGconn* conn, const Statement& statement, Errc errc) {
  if (Status checked = check_params(statement); !checked) return checked.error();
  const char* name = prepared_name(conn, statement);
  if (name == nullptr) return exec(conn, statement, errc);
  ParamArrays params = param_arrays(statement);
  ResultPtr result(
      PQexecPrepared(conn, name, params.count(), params.values.data(), params.lengths.data(), nullptr, 0));
  if (!result) return make_error(errc, connection_error(conn));
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)
    return make_error(errc, result_error(result.get()));
  return to_rows(result.get());
}

}  // namespace unipay::storage::pg
