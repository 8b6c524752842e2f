#include "net/bill_request.hpp"

namespace unipay {
namespace {

Error invalid(std::string message) { return make_error(Errc::invalid_parameter, std::move(message)); }

// Reads an optional string field into `out`; `required` refuses absence and "".
Status read_string(const json::Value& body, std::string_view key, size_t max_bytes, bool required,
                   std::string& out) {
  auto value = json::get_string(body, key, max_bytes);
  if (!value) return value.error();
  if (!value->has_value() || (*value)->empty()) {
    if (required) return invalid(std::string(key) + " is required");
    return ok_status();
  }
  out = std::move(**value);
  return ok_status();
}

Status read_strings(const json::Value& body, const CreateLimits& limits, CreateRequest& r) {
  struct Field {
    std::string_view key;
    size_t max_bytes;
    bool required;
    std::string* out;
  };
  const Field fields[] = {
      {"user_id", limits.max_id_bytes, true, &r.user_id},
      {"item_id", limits.max_id_bytes, true, &r.item_id},
      {"channel", limits.max_id_bytes, true, &r.channel},
      {"passinfo", limits.max_passinfo_bytes, false, &r.passinfo},
      {"os", limits.max_id_bytes, false, &r.os},
      {"app_version", limits.max_id_bytes, false, &r.app_version},
      {"sdk_version", limits.max_id_bytes, false, &r.sdk_version},
      {"map_user_id", limits.max_id_bytes, false, &r.map_user_id},
  };
  for (const Field& f : fields) {
    if (auto s = read_string(body, f.key, f.max_bytes, f.required, *f.out); !s) return s;
  }
  return ok_status();
}

Status read_money(const json::Value& body, CreateRequest& r) {
  auto amount = json::get_amount(body, "amount");
  if (!amount) return amount.error();
  r.amount_minor = *amount;
  auto currency = json::get_string(body, "currency", 3);
  if (!currency) return invalid("currency must be a three-letter ISO 4217 code");
  if (currency->has_value()) {
    if (!is_currency_code(**currency)) return invalid("currency must be a three-letter ISO 4217 code");
    r.currency = **currency;
  }
  auto coins = json::get_count(body, "coins");
  if (!coins) return coins.error();
  r.coins = *coins;
  return ok_status();
}

Status read_type_and_extra(const json::Value& body, const CreateLimits& limits, CreateRequest& r) {
  std::string type;
  if (auto s = read_string(body, "bill_type", 16, false, type); !s) return s;
  if (!type.empty()) {
    auto parsed = parse_bill_type(type);
    if (!parsed) return invalid("bill_type must be purchase or recharge");
    r.bill_type = *parsed;
  }
  if (const json::Value* extra = body.find("extra"); extra && extra->kind != json::Value::Kind::null) {
    if (!extra->is_object()) return invalid("extra must be a JSON object");
    r.extra_json = json::serialize(*extra);
    if (r.extra_json.size() > limits.max_extra_bytes) {
      return invalid("extra must be at most " + std::to_string(limits.max_extra_bytes) + " bytes");
    }
  }
  return ok_status();
}

}  // namespace

bool is_currency_code(std::string_view text) {
  if (text.size() != 3) return false;
  for (char c : text) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

Result<CreateRequest> parse_create_request(const json::Value& body, const CreateLimits& limits) {
  if (!body.is_object()) return invalid("the body must be a JSON object");
  CreateRequest r;
  if (auto s = read_strings(body, limits, r); !s) return s.error();
  if (auto s = read_money(body, r); !s) return s.error();
  if (auto s = read_type_and_extra(body, limits, r); !s) return s.error();
  return r;
}

namespace {

// A recharge bill credits its coins to the player's wallet once paid: it needs some.
Result<CreateRequest> recharge_checked(CreateRequest r) {
  if (r.bill_type == BillType::recharge && r.coins.value_or(0) < 1) {
    return invalid("a recharge bill needs coins of at least 1 (credited to the wallet once paid)");
  }
  return r;
}

}  // namespace

Result<CreateRequest> settle_price(CreateRequest r, const std::optional<storage::CatalogItem>& item) {
  if (item) {
    if (r.amount_minor && *r.amount_minor != item->amount_minor)
      return invalid("amount differs from the catalog");
    if (r.currency && *r.currency != item->currency) return invalid("currency differs from the catalog");
    if (r.coins && *r.coins != item->coins) return invalid("coins differ from the catalog");
    r.amount_minor = item->amount_minor;
    r.currency = item->currency;
    r.coins = item->coins;
    return recharge_checked(std::move(r));
  }
  if (!r.amount_minor) return invalid("amount is required (the item is not in the app's catalog)");
  if (!r.currency) return invalid("currency is required (the item is not in the app's catalog)");
  if (!r.coins) r.coins = 0;
  return recharge_checked(std::move(r));
}

}  // namespace unipay
