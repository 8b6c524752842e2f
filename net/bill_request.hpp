// Validation of a create-bill body (DESIGN.md §2, §7.4, §7.5): pure, unit tested.
#pragma once

#include <optional>
#include <string>

#include "config/result.hpp"
#include "net/json.hpp"
#include "storage/app_store.hpp"
#include "storage/bill.hpp"

namespace unipay {

struct CreateLimits {
  size_t max_passinfo_bytes = 1024;
  size_t max_extra_bytes = 4096;
  size_t max_id_bytes = 128;  // user_id, item_id, map_user_id and the version strings
};

// What the client asked for, before the catalog is consulted.
struct CreateRequest {
  std::string user_id;
  std::string item_id;
  std::string channel;
  BillType bill_type = BillType::purchase;
  std::optional<int64_t> amount_minor;
  std::optional<std::string> currency;
  std::optional<int64_t> coins;
  std::string passinfo;
  std::string os;
  std::string app_version;
  std::string sdk_version;
  std::string map_user_id;
  std::string extra_json = "{}";
};

// invalid_parameter naming the field for anything missing, mistyped or too long.
Result<CreateRequest> parse_create_request(const json::Value& body, const CreateLimits& limits);

// Settles amount, currency and coins: from the catalog item when there is one (a differing
// client value is invalid_parameter), else from the request (amount and currency required).
Result<CreateRequest> settle_price(CreateRequest request, const std::optional<storage::CatalogItem>& item);

// ISO 4217 style: three upper-case ASCII letters.
bool is_currency_code(std::string_view text);

}  // namespace unipay
