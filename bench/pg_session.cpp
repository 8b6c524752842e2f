#include "bench/pg_session.hpp"

namespace unipay::bench {

bool PgSession::connect(const std::string& conninfo, std::string& error) {
  pg = PQconnectdb(conninfo.c_str());
  if (PQstatus(pg) != CONNECTION_OK) {
    error = std::string("connect: ") + PQerrorMessage(pg);
    return false;
  }
  return exec("SET synchronous_commit = on", error) &&
         exec("SET client_min_messages = warning", error);  // no NOTICE on stderr
}

namespace {

PGresult* run(PGconn* pg, const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& p : params) values.push_back(p.c_str());
  return PQexecParams(pg, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                      nullptr, 0);
}

bool succeeded(PGconn* pg, PGresult* r, const std::string& sql, std::string& error) {
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  if (!ok) error = sql.substr(0, 80) + ": " + PQerrorMessage(pg);
  return ok;
}

}  // namespace

bool PgSession::exec(const std::string& sql, std::string& error, const std::vector<std::string>& params) {
  PGresult* r = run(pg, sql, params);
  const bool ok = succeeded(pg, r, sql, error);
  PQclear(r);
  return ok;
}

bool PgSession::value(const std::string& sql, const std::vector<std::string>& params, std::string& out,
                      std::string& error) {
  PGresult* r = run(pg, sql, params);
  const bool ok = succeeded(pg, r, sql, error);
  out = ok && PQntuples(r) > 0 && PQnfields(r) > 0 ? PQgetvalue(r, 0, 0) : "";
  PQclear(r);
  return ok;
}

}  // namespace unipay::bench
