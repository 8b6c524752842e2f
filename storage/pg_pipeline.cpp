#include "storage/pg_pipeline.hpp"

#include "storage/pg_connection.hpp"
#include "storage/pg_prepared.hpp"

namespace unipay::storage::pg {
namespace {

// What was queued: BEGIN, the statements, and COMMIT unless a send failed first.
struct Sent {
  size_t queries = 0;
  bool commit = false;
  std::string error;
};

// What came back.
struct Received {
  bool lost = false;
  bool commit_ok = false;
  std::string error;       // the first error result (a FATAL from the server included)
  std::string sqlstate;    // the first error result's SQLSTATE
  std::vector<Rows> rows;  // one per statement, flattened over the ops
};

int send_plain(PGconn* conn, const char* sql) {
  return PQsendQueryParams(conn, sql, 0, nullptr, nullptr, nullptr, nullptr, 0);
}

Sent send_all(PGconn* conn, std::span<WriteOp> ops, const std::vector<const char*>& names) {
  Sent sent;
  if (!send_plain(conn, "BEGIN")) {
    sent.error = connection_error(conn);
    return sent;
  }
  ++sent.queries;
  size_t index = 0;
  for (const auto& op : ops) {
    for (const auto& statement : op.statements) {
      // A refused send (bad parameter count, broken connection) ends the batch without
      // COMMIT, so nothing of it can commit.
      if (!send_prepared_or_text(conn, statement, names[index++])) {
        sent.error = connection_error(conn);
        return sent;
      }
      ++sent.queries;
    }
  }
  if (!send_plain(conn, "COMMIT")) {
    sent.error = connection_error(conn);
    return sent;
  }
  ++sent.queries;
  sent.commit = true;
  return sent;
}

// One query's result. In pipeline mode a NULL follows each query's results; drain up to
// it. The bound keeps a confused connection from spinning here.
ResultPtr next_query_result(PGconn* conn) {
  ResultPtr first(PQgetResult(conn));
  if (!first) return first;
  for (int extra = 0; extra < 8; ++extra) {
    PGresult* more = PQgetResult(conn);
    if (!more) return first;
    PQclear(more);
  }
  return nullptr;
}

Received read_all(PGconn* conn, const Sent& sent, size_t statements) {
  Received got;
  got.rows.resize(statements);
  const size_t commit_index = statements + 1;
  for (size_t q = 0; q < sent.queries; ++q) {
    ResultPtr result = next_query_result(conn);
    if (!result || PQstatus(conn) == CONNECTION_BAD) {
      if (result && got.error.empty()) got.error = result_error(result.get());
      got.lost = true;
      break;
    }
    const auto status = PQresultStatus(result.get());
    if (status == PGRES_PIPELINE_ABORTED) continue;  // skipped after an earlier error
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      if (got.error.empty()) {
        got.error = result_error(result.get());
        got.sqlstate = result_sqlstate(result.get());
      }
      continue;
    }
    if (q > 0 && q <= statements) got.rows[q - 1] = to_rows(result.get());
    if (q == commit_index) got.commit_ok = true;
  }
  if (!got.lost) {
    ResultPtr sync(PQgetResult(conn));
    got.lost = !sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC;
  }
  return got;
}

std::vector<std::vector<Rows>> split_by_op(std::span<WriteOp> ops, std::vector<Rows>& flat) {
  std::vector<std::vector<Rows>> out(ops.size());
  size_t next = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    for (size_t s = 0; s < ops[i].statements.size(); ++s) out[i].push_back(std::move(flat[next++]));
  }
  return out;
}

size_t count_statements(std::span<WriteOp> ops) {
  size_t n = 0;
  for (const auto& op : ops) n += op.statements.size();
  return n;
}

}  // namespace

// Prepares (blocking, first use per session only) every statement of the batch: prepared
// statements cannot be created inside the pipeline without shifting its results.
std::vector<const char*> prepare_all(PGconn* conn, std::span<WriteOp> ops) {
  std::vector<const char*> names;
  for (const auto& op : ops) {
    for (const auto& statement : op.statements) names.push_back(prepared_name(conn, statement));
  }
  return names;
}

TxnOutcome run_transaction(PGconn* conn, std::span<WriteOp> ops) {
  TxnOutcome out;
  const std::vector<const char*> names = prepare_all(conn, ops);
  if (PQenterPipelineMode(conn) != 1) {
    out.error = connection_error(conn);
    return out;
  }
  const size_t statements = count_statements(ops);
  Sent sent = send_all(conn, ops, names);
  if (PQpipelineSync(conn) != 1) {
    out.error = connection_error(conn);
    return out;
  }
  Received got = read_all(conn, sent, statements);
  if (got.commit_ok) {  // COMMIT answered: durable, whatever happens to the socket now
    if (!got.lost) PQexitPipelineMode(conn);
    out.kind = TxnOutcome::Kind::committed;
    out.rows = split_by_op(ops, got.rows);
    return out;
  }
  out.error = !got.error.empty() ? got.error : !sent.error.empty() ? sent.error : connection_error(conn);
  if (got.lost || PQexitPipelineMode(conn) != 1) return out;  // connection_lost
  // An error inside BEGIN ... leaves the block open in the failed state: close it.
  if (PQtransactionStatus(conn) != PQTRANS_IDLE) (void)exec_script(conn, "ROLLBACK", Errc::storage_write);
  out.kind = TxnOutcome::Kind::failed;
  out.sqlstate = got.sqlstate;
  return out;
}

}  // namespace unipay::storage::pg
