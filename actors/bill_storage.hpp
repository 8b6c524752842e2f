// Where bill actors read and commit their rows. The actor sees only this interface, so it
// can be driven by a fake in tests (tests/actors/bill_actor_test.cpp) as delivery actors
// are through DeliveryTransport. Kept thin: the SQL stays in storage/bill_store.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/result.hpp"
#include "storage/bill.hpp"
#include "storage/database.hpp"

namespace unipay {

class BillStorage {
 public:
  using LoadDone = std::function<void(Result<std::optional<Bill>>)>;

  virtual ~BillStorage() = default;
  // Reads the bill's row; none when there is no such bill. Never blocks the caller; `done`
  // runs once, on another thread: it must only hand the result on (caf::anon_send).
  virtual void load(const std::string& bill_id, LoadDone done) = 0;
  // Commits the statements in one transaction (group commit) and hands back their raw
  // rows; the same threading rules as load().
  virtual void commit(std::vector<storage::Statement> statements, storage::WriteDone done) = 0;
  // The same for a bill's creation: new work, which yields to writes of accepted work and
  // is refused (overloaded) first when the write queue fills (storage::WriteClass).
  virtual void commit_new_work(std::vector<storage::Statement> statements, storage::WriteDone done) {
    commit(std::move(statements), std::move(done));
  }
};

// The production storage: reads on the reader pool, commits through the grouped writer.
// `db` must outlive it.
std::unique_ptr<BillStorage> make_database_bill_storage(storage::Database& db);

}  // namespace unipay
