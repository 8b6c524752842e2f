// Wallet operations (signed): credit, debit, holds, capture, void. Each is decided and
// committed by the account's wallet actor; the same op_id with the same parameters answers
// the first result again (same status and body), with others 409 conflict.
#include "net/auth.hpp"
#include "net/crypto.hpp"
#include "net/handlers/handlers.hpp"
#include "net/wallet_json.hpp"
#include "net/wallet_request.hpp"
#include "storage/wallet_store.hpp"

namespace unipay::handlers {
namespace {

// A hold made by a request answers 201; every other operation 200. A recorded error (a
// capture that found its hold expired) answers that error, on replays too.
void answer_op(const CallPtr& call, const Result<OpResult>& result, int status) {
  if (!result) return call->fail(result.error());
  if (result->error) return call->fail(Error{*result->error, result->error_message});
  call->reply(status, op_result_json(*result));
}

void operate(const CallPtr& call, const std::string& account_id, LedgerOp op, int status) {
  call->api.wallets->operate(
      call->app_id, account_id, std::move(op),
      call->resume<OpResult>([call, status](Result<OpResult> result) { answer_op(call, result, status); }));
}

void entry_op(const CallPtr& call, LedgerOpKind kind) {
  if (!known_account_id(call)) return;
  authenticate_app(call, [call, kind] {
    auto body = parse_body(call);
    if (!body) return;
    auto op = parse_entry_op(*body, kind);
    if (!op) return call->fail(op.error());
    operate(call, call->params[0], std::move(*op), 200);
  });
}

// Captures and voids name a hold: its account is read first, then asked.
void hold_op(const CallPtr& call, Result<LedgerOp> (*parse)(const json::Value&, const std::string&)) {
  const std::string hold_id = call->params.at(0);
  authenticate_app(call, [call, hold_id, parse] {
    auto body = parse_body(call);
    if (!body) return;
    auto op = parse(*body, hold_id);
    if (!op) return call->fail(op.error());
    call->api.db->read(storage::select_hold(call->app_id, hold_id),
                       call->resume<storage::Rows>([call, op = std::move(*op)](Result<storage::Rows> rows) {
                         if (!rows) return call->fail(rows.error());
                         auto hold = storage::parse_hold(*rows);
                         if (!hold) return call->fail(Errc::not_found, "no such hold");
                         operate(call, hold->account_id, op, 200);
                       }));
  });
}

}  // namespace

void credit_account(const CallPtr& call) { entry_op(call, LedgerOpKind::credit); }
void debit_account(const CallPtr& call) { entry_op(call, LedgerOpKind::debit); }

void create_hold(const CallPtr& call) {
  if (!known_account_id(call)) return;
  authenticate_app(call, [call] {
    auto body = parse_body(call);
    if (!body) return;
    auto op = parse_hold_op(*body, "h_" + crypto::random_base64url(16));
    if (!op) return call->fail(op.error());
    operate(call, call->params[0], std::move(*op), 201);
  });
}

void capture_hold(const CallPtr& call) { hold_op(call, parse_capture_op); }
void void_hold(const CallPtr& call) { hold_op(call, parse_void_op); }

// Admin: freeze and unfreeze; repeating one is harmless.
void admin_freeze_account(const CallPtr& call) {
  if (!authenticate_admin(call)) return;
  LedgerOp op;
  op.kind = LedgerOpKind::freeze;
  call->app_id = call->params.at(0);
  operate(call, call->params.at(1), op, 200);
}

void admin_unfreeze_account(const CallPtr& call) {
  if (!authenticate_admin(call)) return;
  LedgerOp op;
  op.kind = LedgerOpKind::unfreeze;
  call->app_id = call->params.at(0);
  operate(call, call->params.at(1), op, 200);
}

}  // namespace unipay::handlers
