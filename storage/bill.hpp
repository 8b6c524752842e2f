// The bill as stored: one row of `bills`. Plain data; the rules live in actors/bill_rules.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace unipay {

using Millis = std::chrono::sys_time<std::chrono::milliseconds>;

inline Millis now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

// Unix seconds now: signature windows and the timestamps providers sign.
inline int64_t unix_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

enum class BillState { created, paid, failed, closed, delivered, refunded };
enum class BillType { purchase, recharge };

std::string_view to_string(BillState state);
std::optional<BillState> parse_bill_state(std::string_view text);
std::string_view to_string(BillType type);
std::optional<BillType> parse_bill_type(std::string_view text);

struct Bill {
  std::string bill_id;
  std::string app_id;
  std::string user_id;
  std::string item_id;
  std::string channel;
  BillType bill_type = BillType::purchase;
  int64_t amount_minor = 0;
  std::string currency;
  int64_t coins = 0;
  std::string passinfo;
  std::string os;
  std::string app_version;
  std::string sdk_version;
  std::string map_user_id;
  std::string extra_json = "{}";  // a validated JSON object, stored as jsonb
  BillState state = BillState::created;
  int64_t version = 1;
  std::string provider_trade_no;  // empty until a provider reported one
  std::string client_token_hash;  // hex SHA-256 of the client token; the token itself is never stored
  Millis created_at{};
  std::optional<Millis> paid_at;
  std::optional<Millis> delivered_at;
  Millis expires_at{};
  bool late_payment = false;
};

// RFC 3339 UTC with milliseconds: 2026-11-21T23:59:59.123Z
std::string format_rfc3339_ms(Millis t);
std::optional<Millis> parse_rfc3339(std::string_view text);

}  // namespace unipay
