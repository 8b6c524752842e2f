// PUT /v1/accounts/{id} (create), GET /v1/accounts/{id}, GET /v1/accounts/{id}/ledger.
// Signed by the app; an account of another app is simply not found.
#include "net/auth.hpp"
#include "net/handlers/handlers.hpp"
#include "net/wallet_json.hpp"
#include "net/wallet_request.hpp"
#include "storage/wallet_store.hpp"

namespace unipay::handlers {
namespace {

constexpr int kDefaultLedgerLimit = 50;
constexpr int kMaxLedgerLimit = 500;

Status read_ledger_query(const Query& query, storage::LedgerQuery& q) {
  for (auto [name, field] : {std::pair{"from", &q.from}, std::pair{"to", &q.to}}) {
    if (const std::string* v = find_param(query, name)) {
      *field = parse_rfc3339(*v);
      if (!*field)
        return make_error(Errc::invalid_parameter, std::string(name) + " must be an RFC 3339 time");
    }
  }
  if (auto s = read_limit(query, kMaxLedgerLimit, q.limit); !s) return s;
  if (const std::string* v = find_param(query, "cursor"); v && !v->empty()) {
    auto after = parse_int(*v);
    if (!after || *after < 0) return make_error(Errc::invalid_parameter, "malformed cursor");
    q.after_entry_id = *after;
  }
  return ok_status();
}

std::string ledger_answer(const storage::Rows& rows, int limit) {
  auto entries = storage::parse_entries(rows);
  json::Writer out;
  out.begin_object().key("entries").begin_array();
  const size_t shown = std::min(entries.size(), static_cast<size_t>(limit));
  for (size_t i = 0; i < shown; ++i) write_entry(out, entries[i]);
  out.end_array().key("next_cursor");
  if (entries.size() > shown) {
    out.string(std::to_string(entries[shown - 1].entry_id));
  } else {
    out.null();
  }
  out.end_object();
  return out.take();
}

void read_ledger(const CallPtr& call, storage::LedgerQuery q) {
  call->api.db->read(storage::list_entries(q),
                     call->resume<storage::Rows>([call, limit = q.limit](Result<storage::Rows> rows) {
                       if (!rows) return call->fail(rows.error());
                       call->reply(200, ledger_answer(*rows, limit));
                     }));
}

}  // namespace

bool known_account_id(const CallPtr& call) {
  if (valid_account_id(call->params.at(0))) return true;
  call->fail(Errc::not_found, "no such account");
  return false;
}

void put_account(const CallPtr& call) {
  if (!known_account_id(call)) return;
  authenticate_app(call, [call] {
    auto body = parse_body(call);
    if (!body) return;
    auto unit = parse_unit(*body);
    if (!unit) return call->fail(unit.error());
    call->api.wallets->open(call->app_id, call->params[0], *unit,
                            call->resume<OpenResult>([call](Result<OpenResult> opened) {
                              if (!opened) return call->fail(opened.error());
                              call->reply(opened->created ? 201 : 200, account_envelope(opened->account));
                            }));
  });
}

void get_account(const CallPtr& call) {
  if (!known_account_id(call)) return;
  authenticate_app(call, [call] {
    call->api.wallets->get(call->app_id, call->params[0],
                           call->resume<Account>([call](Result<Account> account) {
                             if (!account) return call->fail(account.error());
                             call->reply(200, account_envelope(*account));
                           }));
  });
}

// The account must exist (its actor says so), then the page is read from the database.
void get_ledger(const CallPtr& call) {
  if (!known_account_id(call)) return;
  authenticate_app(call, [call] {
    auto query = parse_query(call);
    if (!query) return call->fail(query.error());
    storage::LedgerQuery q;
    q.app_id = call->app_id;
    q.account_id = call->params[0];
    q.limit = kDefaultLedgerLimit;
    if (auto s = read_ledger_query(*query, q); !s) return call->fail(s.error());
    call->api.wallets->get(call->app_id, q.account_id,
                           call->resume<Account>([call, q](Result<Account> account) {
                             if (!account) return call->fail(account.error());
                             read_ledger(call, q);
                           }));
  });
}

}  // namespace unipay::handlers
