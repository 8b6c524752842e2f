// Internal: several write ops committed in one transaction sent as one libpq pipeline
// (one round trip for the group instead of one per statement).
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace unipay::storage::pg {

struct WriteOp {
  std::vector<Statement> statements;
  WriteDone done;
  WriteClass write_class = WriteClass::accepted_work;
  std::chrono::steady_clock::time_point queued_at{};  // set by the writer: its queue delay
};

struct TxnOutcome {
  enum class Kind { committed, failed, connection_lost };
  Kind kind = Kind::connection_lost;
  std::vector<std::vector<Rows>> rows;  // committed: per op, one Rows per statement
  std::string error;                    // failed / connection_lost: what went wrong first
  std::string sqlstate;                 // failed: the SQLSTATE of that first error ("" if none)
};

// Sends BEGIN, every statement of every op, COMMIT and one sync, then reads the results.
// failed: a statement or the COMMIT raised an error; everything was rolled back and the
// connection is usable again. connection_lost: the connection broke before COMMIT was
// confirmed, so the outcome is unknown; the caller must reset the connection.
// The connection stays in blocking mode: when the socket cannot take more, libpq's send
// path reads the server's pending results into its input buffer, so a large pipeline
// cannot deadlock on full socket buffers; batch size only bounds memory.
TxnOutcome run_transaction(PGconn* conn, std::span<WriteOp> ops);

}  // namespace unipay::storage::pg
