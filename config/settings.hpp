// Internal to config/: one table describes every setting (TOML key, flag, environment
// variable, help), so the TOML reader, the environment, the flags, --help and the docs
// test cannot drift apart.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.hpp"
#include "config/result.hpp"

namespace unipay::config::detail {

// What a setting's value looks like before it lands in a Config field.
enum class Kind { text, integer, boolean };

using Value = std::variant<bool, int64_t, std::string>;

struct Setting {
  std::string_view section;     // TOML table: "server", "database", "bills", "delivery", "providers",
                                // "callbacks", "wallets"
  std::string_view key;         // TOML key inside the section
  std::string_view flag;        // "--listen"; empty: TOML only
  std::string_view env;         // "UNIPAY_LISTEN"; empty: TOML only
  std::string_view value_name;  // shown in help: "HOST:PORT", "N", "MS"
  std::string_view help;        // one line, with the unit
  Kind kind = Kind::text;
  // Stores a value; returns why it was refused (the caller names the source).
  std::function<std::optional<std::string>(Config&, const Value&)> set;
  // The current value as text (for --help defaults).
  std::function<std::string(const Config&)> show;

  std::string toml_path() const { return std::string(section) + "." + std::string(key); }
};

// Every setting, in documentation order.
const std::vector<Setting>& settings();

// The --config flag and its environment variable (not a Config field).
inline constexpr std::string_view kConfigFlag = "--config";
inline constexpr std::string_view kConfigEnv = "UNIPAY_CONFIG";

// Converts flag or environment text to a Value of the setting's kind.
// Booleans accept 1/true/yes/0/false/no (any case).
Result<Value> parse_text(Kind kind, std::string_view text);

}  // namespace unipay::config::detail
