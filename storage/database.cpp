#include "storage/database.hpp"

#include <mutex>

#include "storage/group_writer.hpp"
#include "storage/maintenance_runner.hpp"
#include "storage/pg_connection.hpp"
#include "storage/reader_pool.hpp"

namespace unipay::storage {

const std::string& Rows::text(size_t row, size_t col) const {
  static const std::string empty;
  const auto& cell = rows.at(row).at(col);
  return cell ? *cell : empty;
}

// Housekeeping issues one statement per run at a time (a purge run and an expiry run):
// a few queued mean a bug, refused rather than grown.
constexpr size_t kMaintenanceQueueLimitOps = 16;

struct Database::Impl {
  std::string conninfo;
  std::string incarnation;
  std::unique_ptr<MaintenanceRunner> maintenance;
  // Destroyed in reverse order: the writer stops first, so callbacks of its last batch
  // may still queue reads.
  std::unique_ptr<ReaderPool> readers;
  std::unique_ptr<GroupWriter> writer;
  std::mutex blocking_mu;
  pg::Conn blocking;  // guarded by blocking_mu
};

Result<std::unique_ptr<Database>> Database::open(const DatabaseOptions& options) {
  if (options.reader_connections < 1 || options.max_batch_ops < 1) {
    return make_error(Errc::invalid_parameter, "reader_connections and max_batch_ops must be at least 1");
  }
  if (options.write_queue_reserved_ops > options.write_queue_limit_ops) {
    return make_error(Errc::invalid_parameter,
                      "write_queue_reserved_ops must not exceed write_queue_limit_ops");
  }
  auto writer_conn = pg::connect(options.conninfo, "unipay-writer", Errc::storage_read, options.incarnation);
  if (!writer_conn) return writer_conn.error();
  std::vector<pg::Conn> reader_conns;
  for (int i = 0; i < options.reader_connections; ++i) {
    auto conn = pg::connect(options.conninfo, "unipay-reader", Errc::storage_read, options.incarnation);
    if (!conn) return conn.error();
    reader_conns.push_back(std::move(*conn));
  }
  std::unique_ptr<Database> db(new Database());
  db->impl_ = std::make_unique<Impl>();
  db->impl_->conninfo = options.conninfo;
  db->impl_->incarnation = options.incarnation;
  db->impl_->readers =
      std::make_unique<ReaderPool>(std::move(reader_conns), options.read_queue_limit_ops, options.admission);
  db->impl_->maintenance = std::make_unique<MaintenanceRunner>(
      options.conninfo, options.maintenance_statement_timeout, kMaintenanceQueueLimitOps);
  db->impl_->writer = std::make_unique<GroupWriter>(
      std::move(*writer_conn),
      GroupWriterLimits{options.write_queue_limit_ops, options.write_queue_reserved_ops,
                        options.max_batch_ops, options.admission, options.new_work_sojourn});
  return db;
}

Database::~Database() = default;

void Database::write(std::vector<Statement> statements, WriteDone done, WriteClass write_class) {
  impl_->writer->submit(pg::WriteOp{std::move(statements), std::move(done), write_class, {}});
}

bool Database::admits_new_work() {
  // Both are asked, so both gates see the current queue age.
  const bool writer = impl_->writer->admits_new_work();
  const bool readers = impl_->readers->admits_new_work();
  return writer && readers;
}

void Database::read(Statement statement, ReadDone done) {
  impl_->readers->submit(std::move(statement), std::move(done));
}

void Database::maintain(Statement statement, ReadDone done) {
  impl_->maintenance->submit(std::move(statement), std::move(done));
}

Result<Rows> Database::run_blocking(const Statement& statement) {
  std::lock_guard lock(impl_->blocking_mu);
  auto& conn = impl_->blocking;
  if (!conn || !pg::alive(conn.get())) {
    auto fresh = pg::connect(impl_->conninfo, "unipay-blocking", Errc::storage_read, impl_->incarnation);
    if (!fresh) return fresh.error();
    conn = std::move(*fresh);
  }
  return pg::exec(conn.get(), statement, Errc::storage_write);
}

DatabaseStats Database::stats() const {
  const GroupWriterStats w = impl_->writer->stats();
  const ReaderPoolStats r = impl_->readers->stats();
  DatabaseStats s;
  s.write_ops = w.ops;
  s.write_batches = w.batches;
  s.write_transactions = w.transactions;
  s.write_errors = w.errors;
  s.write_refused = w.refused;
  s.write_expired = w.expired;
  s.writer_reconnects = w.reconnects;
  s.write_queue_depth = w.depth;
  s.reads = r.reads;
  s.read_errors = r.errors;
  s.read_refused = r.refused;
  s.read_queue_depth = r.depth;
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  s.write_queue_delay_ms = duration_cast<milliseconds>(w.oldest_wait).count();
  s.read_queue_delay_ms = duration_cast<milliseconds>(r.oldest_wait).count();
  return s;
}

}  // namespace unipay::storage
