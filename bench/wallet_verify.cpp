#include "bench/wallet_verify.hpp"

#include <functional>
#include <memory>

namespace unipay::bench {

namespace {

constexpr int kLanes = 16;

struct Verify {
  Verify(Context& c, const WalletAccounts& a) : ctx(c), accounts(a) {}
  Context& ctx;
  const WalletAccounts& accounts;
  size_t next = 0;
  size_t checked = 0;
  uint64_t entries = 0;
  uint64_t requests = 0;  // in flight
  bool stopped = false;   // past the deadline: answers arriving later are ignored
};

void verify_next(const std::shared_ptr<Verify>& v);

void add(Context& ctx, const BooksCheck& c) {
  ctx.stats.correctness.wallet_ops_lost += c.lost;
  ctx.stats.correctness.wallet_ops_duplicated += c.duplicated;
  ctx.stats.correctness.wallet_entries_unexpected += c.unexpected;
  ctx.stats.correctness.wallet_books_mismatches += c.mismatches;
}

// Reads the account's ledger page by page, then checks the whole of it.
void read_ledger(const std::shared_ptr<Verify>& v, size_t index, AccountFigures figures,
                 std::shared_ptr<std::vector<LedgerEntry>> ledger, std::string cursor) {
  v->requests += 1;
  const std::string& id = v->accounts.ids[index];
  v->ctx.client.send(ledger_page_request(v->ctx.app, id, cursor),
                     [v, index, figures, ledger](ClientResponse r) {
                       v->requests -= 1;
                       if (v->stopped) return;  // past the deadline: unchecked, counted at the end
                       std::string next_cursor;
                       if (!parse_ledger_page(r, *ledger, next_cursor)) {
                         v->ctx.stats.error("wallet_verify:ledger:" + answer_error_kind(r));
                         return verify_next(v);
                       }
                       if (!next_cursor.empty()) return read_ledger(v, index, figures, ledger, next_cursor);
                       add(v->ctx, check_books(v->accounts.models[index], figures, *ledger));
                       v->entries += ledger->size();
                       v->checked += 1;
                       verify_next(v);
                     });
}

void verify_next(const std::shared_ptr<Verify>& v) {
  if (v->next >= v->accounts.ids.size()) return;
  size_t index = v->next++;
  v->requests += 1;
  v->ctx.client.send(get_account_request(v->ctx.app, v->accounts.ids[index]), [v, index](ClientResponse r) {
    v->requests -= 1;
    if (v->stopped) return;
    AccountFigures figures;
    if (!parse_account_answer(r, figures)) {
      v->ctx.stats.error("wallet_verify:account:" + answer_error_kind(r));
      return verify_next(v);  // counted as not checked at the end
    }
    read_ledger(v, index, figures, std::make_shared<std::vector<LedgerEntry>>(), "");
  });
}

void reconcile(Context& ctx, Clock::time_point deadline) {
  struct Asked {
    bool done = false;
    bool ok = false;
    ReconciliationAnswer answer;
    std::string error;
  };
  auto asked = std::make_shared<Asked>();  // the answer may come after we stopped waiting
  ctx.client.send(reconciliation_request(ctx.app), [asked](ClientResponse r) {
    asked->done = true;
    asked->ok = parse_reconciliation(r, asked->answer);
    if (!asked->ok) asked->error = answer_error_kind(r);
  });
  ctx.loop.run_while([&] { return !asked->done; }, deadline);
  if (!asked->ok) {
    ctx.stats.error("wallet_verify:reconciliation:" + (asked->done ? asked->error : "no_answer_in_time"));
    ctx.stats.correctness.wallet_reconciliation_mismatches += 1;  // no clean bill of health
    return;
  }
  const ReconciliationAnswer& answer = asked->answer;
  ctx.stats.correctness.wallet_reconciliation_mismatches += answer.mismatches + (answer.truncated ? 1 : 0);
  ctx.result.metric("reconciliation_accounts_checked", static_cast<double>(answer.accounts_checked));
  ctx.result.metric("reconciliation_entries_checked", static_cast<double>(answer.entries_checked));
  ctx.result.metric("reconciliation_mismatches", static_cast<double>(answer.mismatches));
}

}  // namespace

void verify_wallets(Context& ctx, const WalletAccounts& accounts, double max_s) {
  auto started = Clock::now();
  auto deadline = started + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(max_s));
  auto v = std::make_shared<Verify>(ctx, accounts);
  for (int i = 0; i < kLanes; ++i) verify_next(v);
  ctx.loop.run_while([&] { return v->requests > 0; }, deadline);
  v->stopped = true;
  if (v->checked < accounts.ids.size()) {
    ctx.result.notes.push_back("the books of " + std::to_string(accounts.ids.size() - v->checked) +
                               " account(s) could not be checked in time");
    ctx.stats.correctness.wallet_books_mismatches += accounts.ids.size() - v->checked;
  }
  ctx.result.metric("accounts_verified", static_cast<double>(v->checked));
  ctx.result.metric("ledger_entries_verified", static_cast<double>(v->entries));
  ctx.result.metric("verify_s", seconds_since(started));
  reconcile(ctx, deadline + std::chrono::seconds(60));
}

}  // namespace unipay::bench
