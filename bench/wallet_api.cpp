#include "bench/wallet_api.hpp"

#include "net/json.hpp"

namespace unipay::bench {

namespace {

constexpr int kLedgerPageLimit = 500;  // the API's largest page
constexpr int kHoldTtlS = 3600;        // far beyond any run: no hold expires under the bench

bool read_figures(const json::Value* account, AccountFigures& out) {
  auto balance = json_integer(account, "balance");
  auto held = json_integer(account, "held");
  auto available = json_integer(account, "available");
  if (!balance || !held || !available) return false;
  out = AccountFigures{*balance, *held, *available};
  return true;
}

}  // namespace

const char* wallet_op_name(WalletOpKind kind) {
  switch (kind) {
    case WalletOpKind::credit:
      return "credit";
    case WalletOpKind::debit:
      return "debit";
    case WalletOpKind::hold:
      return "hold";
    case WalletOpKind::capture:
      return "capture";
    case WalletOpKind::void_hold:
      return "void";
  }
  return "?";
}

ClientRequest wallet_op_request(const WalletOp& op) {
  json::Writer w;
  w.begin_object().key("op_id").string(op.op_id);
  switch (op.kind) {
    case WalletOpKind::credit:
    case WalletOpKind::debit:
      w.key("amount").integer(op.amount).key("reason").string("bench").end_object();
      return json_post("/v1/accounts/" + op.account_id + "/" + wallet_op_name(op.kind), w.take());
    case WalletOpKind::hold:
      w.key("amount").integer(op.amount).key("ttl_seconds").integer(kHoldTtlS).end_object();
      return json_post("/v1/accounts/" + op.account_id + "/holds", w.take());
    case WalletOpKind::capture:
      w.key("amount").integer(op.amount).end_object();
      return json_post("/v1/holds/" + op.hold_id + "/capture", w.take());
    case WalletOpKind::void_hold:
      w.end_object();
      return json_post("/v1/holds/" + op.hold_id + "/void", w.take());
  }
  return {};
}

bool parse_wallet_answer(const ClientResponse& r, WalletAnswer& out) {
  auto body = json::parse(r.body);
  if (!body || !read_figures(json_member(&*body, "account"), out.account)) return false;
  if (const json::Value* entry = json_member(&*body, "entry"); entry && entry->is_object()) {
    auto amount = json_integer(entry, "amount");
    out.entry_op_id = json_string(entry, "op_id");
    if (!amount || out.entry_op_id.empty()) return false;
    out.has_entry = true;
    out.entry_amount = *amount;
  }
  out.hold_id = json_string(json_member(&*body, "hold"), "hold_id");
  return true;
}

ClientRequest put_account_request(const AppCreds& app, const std::string& account_id,
                                  const std::string& unit) {
  json::Writer w;
  w.begin_object().key("unit").string(unit).end_object();
  ClientRequest r = json_post("/v1/accounts/" + account_id, w.take());
  r.method = "PUT";
  sign_app_request(r, app);
  return r;
}

ClientRequest get_account_request(const AppCreds& app, const std::string& account_id) {
  ClientRequest r;
  r.target = "/v1/accounts/" + account_id;
  sign_app_request(r, app);
  return r;
}

bool parse_account_answer(const ClientResponse& r, AccountFigures& out) {
  if (r.status != 200) return false;
  auto body = json::parse(r.body);
  return body && read_figures(json_member(&*body, "account"), out);
}

ClientRequest ledger_page_request(const AppCreds& app, const std::string& account_id,
                                  const std::string& cursor) {
  ClientRequest r;
  r.target = "/v1/accounts/" + account_id + "/ledger?limit=" + std::to_string(kLedgerPageLimit);
  if (!cursor.empty()) r.target += "&cursor=" + cursor;  // an entry id: digits only
  sign_app_request(r, app);
  return r;
}

bool parse_ledger_page(const ClientResponse& r, std::vector<LedgerEntry>& out, std::string& next_cursor) {
  if (r.status != 200) return false;
  auto body = json::parse(r.body);
  const json::Value* entries = body ? json_member(&*body, "entries") : nullptr;
  if (!entries || entries->kind != json::Value::Kind::array) return false;
  for (const json::Value& e : entries->items) {
    auto id = json_integer(&e, "entry_id");
    auto amount = json_integer(&e, "amount");
    auto before = json_integer(&e, "balance_before");
    auto after = json_integer(&e, "balance_after");
    if (!id || !amount || !before || !after) return false;
    out.push_back(LedgerEntry{*id, json_string(&e, "op_id"), *amount, *before, *after});
  }
  next_cursor = json_string(&*body, "next_cursor");  // null on the last page
  return true;
}

ClientRequest reconciliation_request(const AppCreds& app) {
  ClientRequest r;
  r.target = "/v1/reconciliation/ledger";
  r.timeout = std::chrono::milliseconds(120000);  // re-adds every account of the app
  sign_app_request(r, app);
  return r;
}

bool parse_reconciliation(const ClientResponse& r, ReconciliationAnswer& out) {
  if (r.status != 200) return false;
  auto body = json::parse(r.body);
  if (!body) return false;
  auto accounts = json_integer(&*body, "accounts_checked");
  auto entries = json_integer(&*body, "entries_checked");
  const json::Value* mismatches = json_member(&*body, "mismatches");
  if (!accounts || !entries || !mismatches || mismatches->kind != json::Value::Kind::array) return false;
  out.accounts_checked = *accounts;
  out.entries_checked = *entries;
  out.mismatches = mismatches->items.size();
  const json::Value* truncated = json_member(&*body, "truncated");
  out.truncated = truncated && truncated->kind == json::Value::Kind::boolean && truncated->boolean;
  return true;
}

}  // namespace unipay::bench
