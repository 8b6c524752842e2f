#include "net/wallet_request.hpp"

namespace unipay {
namespace {

Error invalid(std::string message) { return make_error(Errc::invalid_parameter, std::move(message)); }

Status require_object(const json::Value& body) {
  if (!body.is_object()) return invalid("the body must be a JSON object");
  return ok_status();
}

// The op_id: required, 1..128 visible ASCII.
Result<std::string> read_op_id(const json::Value& body) {
  auto op_id = json::get_string(body, "op_id", kMaxOpIdBytes);
  if (!op_id) return op_id.error();
  if (!*op_id || !valid_op_id(**op_id)) return invalid("op_id must be 1 to 128 visible ASCII characters");
  return **op_id;
}

Result<int64_t> read_required_amount(const json::Value& body) {
  auto amount = json::get_amount(body, "amount");
  if (!amount) return amount.error();
  if (!*amount) return invalid("amount is required");
  return **amount;
}

Status read_reason_and_info(const json::Value& body, LedgerOp& op) {
  auto reason = json::get_string(body, "reason", kMaxReasonBytes);
  if (!reason) return reason.error();
  op.reason = reason->value_or("");
  if (const json::Value* info = body.find("info"); info && info->kind != json::Value::Kind::null) {
    if (!info->is_object()) return invalid("info must be a JSON object");
    op.info_json = json::serialize(*info);
    if (op.info_json.size() > kMaxInfoBytes) {
      return invalid("info must be at most " + std::to_string(kMaxInfoBytes) + " bytes");
    }
  }
  return ok_status();
}

// Every operation: a JSON object with an op_id.
Result<LedgerOp> start_op(const json::Value& body, LedgerOpKind kind, std::string hold_id = {}) {
  if (auto s = require_object(body); !s) return s.error();
  LedgerOp op;
  op.kind = kind;
  op.hold_id = std::move(hold_id);
  auto op_id = read_op_id(body);
  if (!op_id) return op_id.error();
  op.op_id = std::move(*op_id);
  return op;
}

// Operations that move a given amount (credit, debit, hold).
Result<LedgerOp> start_amount_op(const json::Value& body, LedgerOpKind kind, std::string hold_id = {}) {
  auto op = start_op(body, kind, std::move(hold_id));
  if (!op) return op;
  auto amount = read_required_amount(body);
  if (!amount) return amount.error();
  op->amount_minor = *amount;
  return op;
}

}  // namespace

bool valid_account_id(const std::string& account_id) { return valid_op_id(account_id); }

Result<std::string> parse_unit(const json::Value& body) {
  if (auto s = require_object(body); !s) return s.error();
  auto unit = json::get_string(body, "unit", kMaxUnitBytes);
  if (!unit) return unit.error();
  if (!*unit || !valid_unit(**unit)) return invalid("unit must match [A-Z0-9_]{1,16}");
  return **unit;
}

Result<LedgerOp> parse_entry_op(const json::Value& body, LedgerOpKind kind) {
  auto op = start_amount_op(body, kind);
  if (!op) return op;
  if (auto s = read_reason_and_info(body, *op); !s) return s.error();
  return op;
}

Result<LedgerOp> parse_hold_op(const json::Value& body, const std::string& hold_id) {
  auto op = start_amount_op(body, LedgerOpKind::hold, hold_id);
  if (!op) return op;
  auto ttl = json::get_count(body, "ttl_seconds");
  if (!ttl) return ttl.error();
  if (!*ttl || **ttl < kMinHoldTtlS || **ttl > kMaxHoldTtlS) {
    return invalid("ttl_seconds must be an integer from 1 to 604800");
  }
  op->ttl_s = **ttl;
  return op;
}

Result<LedgerOp> parse_capture_op(const json::Value& body, const std::string& hold_id) {
  auto op = start_op(body, LedgerOpKind::capture, hold_id);
  if (!op) return op;
  auto amount = json::get_amount(body, "amount");
  if (!amount) return amount.error();
  op->amount_minor = amount->value_or(0);  // 0: the whole hold
  return op;
}

Result<LedgerOp> parse_void_op(const json::Value& body, const std::string& hold_id) {
  return start_op(body, LedgerOpKind::void_hold, hold_id);
}

}  // namespace unipay
