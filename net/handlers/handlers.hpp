// Route handlers: parse, ask one actor (or storage), format the answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/call.hpp"
#include "net/json.hpp"
#include "storage/bill.hpp"

namespace unipay::handlers {

// bill_create.cpp
void create_bill(const CallPtr& call);
// bill_read.cpp
void get_bill(const CallPtr& call);   // params: bill_id
void wait_bill(const CallPtr& call);  // params: bill_id
void list_bills(const CallPtr& call);
// bill_close.cpp
void close_bill(const CallPtr& call);  // params: bill_id
// bill_verify.cpp
void verify_bill(const CallPtr& call);  // params: bill_id
// callback.cpp
void provider_callback(const CallPtr& call);  // params: app_id, channel
// admin_apps.cpp
void admin_create_app(const CallPtr& call);
void admin_get_app(const CallPtr& call);        // params: app_id
void admin_update_app(const CallPtr& call);     // params: app_id
void admin_rotate_secret(const CallPtr& call);  // params: app_id
// admin_deliveries.cpp
void admin_list_bill_deliveries(const CallPtr& call);  // params: bill_id
void admin_list_deliveries(const CallPtr& call);
void admin_replay_delivery(const CallPtr& call);  // params: bill_id
// admin_refund.cpp
void admin_refund_bill(const CallPtr& call);  // params: bill_id
// reports.cpp
void ledger_reconciliation(const CallPtr& call);
void monthly_settlement(const CallPtr& call);  // params: yyyy-mm
void channel_report(const CallPtr& call);
// statements.cpp
void daily_statement(const CallPtr& call);  // params: yyyy-mm-dd
// wallet_accounts.cpp (params: account_id)
void put_account(const CallPtr& call);
void get_account(const CallPtr& call);
void get_ledger(const CallPtr& call);
// The path's account_id is well formed, or the call is answered not_found.
bool known_account_id(const CallPtr& call);
// wallet_ops.cpp
void credit_account(const CallPtr& call);          // params: account_id
void debit_account(const CallPtr& call);           // params: account_id
void create_hold(const CallPtr& call);             // params: account_id
void capture_hold(const CallPtr& call);            // params: hold_id
void void_hold(const CallPtr& call);               // params: hold_id
void admin_freeze_account(const CallPtr& call);    // params: app_id, account_id
void admin_unfreeze_account(const CallPtr& call);  // params: app_id, account_id
// ops.cpp
void healthz(const CallPtr& call);
void readyz(const CallPtr& call);
void metrics(const CallPtr& call);

// Handlers of new work (bill creation, lists) call this first, before any work is done:
// false when admission control refuses it; the call is then answered 503 busy with
// Retry-After (storage::Database::admits_new_work). Callbacks never call it.
bool admit_new_work(const CallPtr& call);

// Shared by handlers: the parsed JSON body, or the call answered with invalid_json.
std::optional<json::Value> parse_body(const CallPtr& call);

// The request's query parameters in order; a malformed query string is invalid_parameter.
using Query = std::vector<std::pair<std::string, std::string>>;
Result<Query> parse_query(const CallPtr& call);
// The first value of the parameter, or nullptr.
const std::string* find_param(const Query& query, std::string_view name);
// A whole decimal integer; none for anything else.
std::optional<int64_t> parse_int(const std::string& text);
// `limit` when given must be 1..max (else invalid_parameter); `limit` keeps its default otherwise.
Status read_limit(const Query& query, int max, int& limit);
// {"bill": {...}}
std::string bill_envelope(const Bill& bill);

}  // namespace unipay::handlers
