#include "storage/pg_connection.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>

#include <cassert>
#include <cstdlib>
#include <vector>

namespace unipay::storage::pg {
namespace {

std::string trim_trailing(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// libpq hands notices, and an error that arrives while no query runs, to this receiver
// (by default it prints them to stderr; errors that matter reach callers as values).
// Such a FATAL means the server is ending the session (pg_terminate_backend, shutdown)
// and will close the socket next: shut our side now, so the next look at the connection
// sees it broken instead of sending a batch into a dying session.
void on_notice(void* arg, const PGresult* notice) {
  const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (!severity) return;
  const std::string_view level(severity);
  if (level == "FATAL" || level == "PANIC") {
    ::shutdown(PQsocket(static_cast<PGconn*>(arg)), SHUT_RDWR);
  }
}

}  // namespace

Result<Conn> connect(const std::string& conninfo, const char* role, Errc errc,
                     const std::string& incarnation) {
  // Keywords before "dbname" are defaults the expanded conninfo overrides, keywords after
  // it override the conninfo. The fallback application name only applies when the conninfo
  // sets none; a tagged name always applies.
  const std::string tagged = incarnation.empty() ? std::string() : std::string(role) + " " + incarnation;
  const char* keys[] = {"connect_timeout",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        "dbname",
                        incarnation.empty() ? "fallback_application_name" : "application_name",
                        nullptr};
  const char* values[] = {
      "10", "30", "10", "3", conninfo.c_str(), incarnation.empty() ? role : tagged.c_str(), nullptr};
  Conn conn(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (!conn) return make_error(errc, "libpq: out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return make_error(errc, "cannot connect to PostgreSQL: " + connection_error(conn.get()));
  }
  PQsetNoticeReceiver(conn.get(), on_notice, conn.get());
  return conn;
}

std::string connection_error(const PGconn* conn) {
  return trim_trailing(conn ? PQerrorMessage(conn) : "no connection");
}

std::string result_error(const PGresult* result) {
  if (!result) return "no result";
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  if (!state || !primary) return trim_trailing(PQresultErrorMessage(result));
  return fmt::format("SQLSTATE {}: {}", state, primary);
}

std::string result_sqlstate(const PGresult* result) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  return state ? state : "";
}

Rows to_rows(const PGresult* result) {
  Rows rows;
  const int nrows = PQntuples(result);
  const int ncols = PQnfields(result);
  rows.rows.resize(static_cast<size_t>(nrows));
  for (int r = 0; r < nrows; ++r) {
    auto& row = rows.rows[static_cast<size_t>(r)];
    row.reserve(static_cast<size_t>(ncols));
    for (int c = 0; c < ncols; ++c) {
      if (PQgetisnull(result, r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(
            std::string(PQgetvalue(result, r, c), static_cast<size_t>(PQgetlength(result, r, c))));
      }
    }
  }
  const char* affected = PQcmdTuples(const_cast<PGresult*>(result));
  if (affected && *affected) rows.affected = std::strtoll(affected, nullptr, 10);
  return rows;
}

ParamArrays param_arrays(const Statement& statement) {
  ParamArrays params;
  params.values.reserve(statement.params.size());
  params.lengths.reserve(statement.params.size());
  for (const auto& param : statement.params) {
    params.values.push_back(param ? param->data() : nullptr);
    params.lengths.push_back(param ? static_cast<int>(param->size()) : 0);
  }
  return params;
}

Status check_params(const Statement& statement) {
  for (size_t i = 0; i < statement.params.size(); ++i) {
    const auto& param = statement.params[i];
    if (param && param->find('\0') != std::string::npos) {
      return make_error(Errc::invalid_parameter, "a text value holds a NUL byte, which cannot be stored");
    }
  }
  return ok_status();
}

int send_statement(PGconn* conn, const Statement& statement) {
  assert(check_params(statement).ok() && "callers refuse NUL parameters before sending");
  ParamArrays params = param_arrays(statement);
  return PQsendQueryParams(conn, statement.sql.c_str(), params.count(), nullptr, params.values.data(),
                           params.lengths.data(), nullptr, /*resultFormat=*/0);
}

Result<Rows> exec(PGconn* conn, const Statement& statement, Errc errc) {
  if (Status checked = check_params(statement); !checked) return checked.error();
  ParamArrays params = param_arrays(statement);
  ResultPtr result(PQexecParams(conn, statement.sql.c_str(), params.count(), nullptr, params.values.data(),
                                params.lengths.data(), nullptr, 0));
  if (!result) return make_error(errc, connection_error(conn));
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return make_error(errc, result_error(result.get()));
  }
  return to_rows(result.get());
}

Status exec_script(PGconn* conn, const char* sql, Errc errc) {
  // PQexec returns only the last statement's result; an error stops the script there.
  ResultPtr result(PQexec(conn, sql));
  if (!result) return make_error(errc, connection_error(conn));
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return make_error(errc, result_error(result.get()));
  }
  return ok_status();
}

bool alive(PGconn* conn) {
  // A terminated backend sends a FATAL message, then closes, maybe a little later. Read
  // what is pending and parse it (PQisBusy parses: on_notice shuts the socket on a FATAL),
  // until nothing more is pending; the bound stops a chatty server from holding us here.
  for (int round = 0; round < 8; ++round) {
    if (!conn || PQstatus(conn) != CONNECTION_OK) return false;
    pollfd pending{PQsocket(conn), POLLIN, 0};
    if (::poll(&pending, 1, 0) <= 0) return true;
    if (PQconsumeInput(conn) == 0) return false;
    (void)PQisBusy(conn);
  }
  return PQstatus(conn) == CONNECTION_OK;
}

Result<std::string> with_dbname(const std::string& conninfo, const std::string& dbname) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (!options) {
    std::string message = error ? trim_trailing(error) : "out of memory";
    PQfreemem(error);
    return make_error(Errc::invalid_parameter, "bad conninfo: " + message);
  }
  std::string out;
  for (const PQconninfoOption* option = options; option->keyword; ++option) {
    if (!option->val || std::string_view(option->keyword) == "dbname") continue;
    out += fmt::format("{}={} ", option->keyword, quote_conninfo_value(option->val));
  }
  PQconninfoFree(options);
  return out + "dbname=" + quote_conninfo_value(dbname);
}

std::string quote_conninfo_value(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace unipay::storage::pg
