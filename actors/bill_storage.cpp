#include "actors/bill_storage.hpp"

#include "storage/bill_store.hpp"

namespace unipay {
namespace {

class DatabaseBillStorage : public BillStorage {
 public:
  explicit DatabaseBillStorage(storage::Database& db) : db_(db) {}

  void load(const std::string& bill_id, LoadDone done) override {
    db_.read(storage::select_bill(bill_id), [done = std::move(done)](Result<storage::Rows> rows) {
      if (!rows) return done(rows.error());
      done(storage::parse_bill(*rows));
    });
  }

  void commit(std::vector<storage::Statement> statements, storage::WriteDone done) override {
    db_.write(std::move(statements), std::move(done));
  }

  void commit_new_work(std::vector<storage::Statement> statements, storage::WriteDone done) override {
    db_.write(std::move(statements), std::move(done), storage::WriteClass::new_work);
  }

 private:
  storage::Database& db_;
};

}  // namespace

std::unique_ptr<BillStorage> make_database_bill_storage(storage::Database& db) {
  return std::make_unique<DatabaseBillStorage>(db);
}

}  // namespace unipay
