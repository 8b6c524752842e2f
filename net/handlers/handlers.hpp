// Route handlers: parse, ask one actor (or storage), format the answer.
#pragma once

#include <optional>

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
// callback_sandbox.cpp
void sandbox_callback(const CallPtr& call);  // params: app_id
// admin_apps.cpp
void admin_create_app(const CallPtr& call);
void admin_get_app(const CallPtr& call);          // params: app_id
void admin_update_app(const CallPtr& call);       // params: app_id
void admin_rotate_secret(const CallPtr& call);    // params: app_id
void admin_replay_delivery(const CallPtr& call);  // params: bill_id
// ops.cpp
void healthz(const CallPtr& call);
void readyz(const CallPtr& call);
void metrics(const CallPtr& call);

// Shared by handlers: the parsed JSON body, or the call answered with invalid_json.
std::optional<json::Value> parse_body(const CallPtr& call);
// {"bill": {...}}
std::string bill_envelope(const Bill& bill);

}  // namespace unipay::handlers
