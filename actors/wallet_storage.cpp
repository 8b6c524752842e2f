#include "actors/wallet_storage.hpp"

#include <memory>

namespace unipay {
namespace {

class DatabaseWalletStorage : public WalletStorage {
 public:
  explicit DatabaseWalletStorage(storage::Database& db) : db_(db) {}

  void load(const std::string& app_id, const std::string& account_id,
            Done<std::optional<storage::AccountWithHolds>> done) override {
    db_.read(storage::select_account(app_id, account_id),
             [done = std::move(done)](Result<storage::Rows> rows) {
               if (!rows) return done(rows.error());
               if (rows->empty()) return done(std::optional<storage::AccountWithHolds>{});
               auto account = storage::parse_account_with_holds(*rows);
               if (!account) return done(make_error(Errc::storage_read, "unreadable account row"));
               done(std::optional<storage::AccountWithHolds>(std::move(*account)));
             });
  }

  // Records first, then the holds (only when some are asked for): two reads at most.
  void lookup(const std::string& app_id, std::vector<std::string> op_ids, std::vector<std::string> hold_ids,
              Done<WalletLookups> done) override {
    auto found = std::make_shared<WalletLookups>();
    auto read_holds = [this, app_id, hold_ids, found, done](Result<storage::Rows> rows) {
      if (!rows) return done(rows.error());
      found->records = storage::parse_op_records(*rows);
      if (hold_ids.empty()) return done(std::move(*found));
      db_.read(storage::select_holds(app_id, hold_ids), [found, done](Result<storage::Rows> held) {
        if (!held) return done(held.error());
        found->holds = storage::parse_holds(*held);
        done(std::move(*found));
      });
    };
    if (op_ids.empty()) return read_holds(storage::Rows{});
    db_.read(storage::select_op_records(app_id, op_ids), std::move(read_holds));
  }

  void insert(const Account& account, Done<InsertOutcome> done) override {
    db_.write({storage::insert_account(account)},
              [done = std::move(done)](Result<std::vector<storage::Rows>> rows) {
                if (!rows) return done(rows.error());
                InsertOutcome out;
                const storage::Rows& r = rows->front();
                if (!r.empty()) {
                  out.inserted = r.text(0, 0) == "t";
                  out.account = storage::parse_account(r, 0, 1);
                }
                done(out);
              });
  }

  void commit(WalletWrite write, Done<std::vector<storage::CommitOutcome>> done) override {
    std::vector<storage::Statement> statements;
    const size_t commits = write.commits.size();
    for (const auto& c : write.commits) statements.push_back(storage::commit_statement(c));
    for (auto& s : write.also) statements.push_back(std::move(s));
    db_.write(std::move(statements),
              [commits, done = std::move(done)](Result<std::vector<storage::Rows>> rows) {
                if (!rows) return done(rows.error());
                std::vector<storage::CommitOutcome> out;
                for (size_t i = 0; i < commits && i < rows->size(); ++i) {
                  auto outcome = storage::parse_commit((*rows)[i]);
                  if (!outcome) return done(make_error(Errc::storage_write, "unreadable commit outcome"));
                  out.push_back(*outcome);
                }
                done(std::move(out));
              });
  }

 private:
  storage::Database& db_;
};

}  // namespace

std::unique_ptr<WalletStorage> make_database_wallet_storage(storage::Database& db) {
  return std::make_unique<DatabaseWalletStorage>(db);
}

}  // namespace unipay
