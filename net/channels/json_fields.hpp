// Lenient member reads for provider JSON whose shape the adapter checks itself: a missing
// or mistyped member reads as absent, and the caller decides whether that is a refusal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/json.hpp"

namespace unipay::channels {

// The string member `key` of an object; "" when absent, not a string, or not an object.
inline std::string text_of(const json::Value& object, std::string_view key) {
  const json::Value* value = object.is_object() ? object.find(key) : nullptr;
  return value && value->kind == json::Value::Kind::string ? value->string : std::string();
}

// The integer member `key` of an object; nullopt when absent or not an integer token.
inline std::optional<int64_t> integer_of(const json::Value& object, std::string_view key) {
  const json::Value* value = object.is_object() ? object.find(key) : nullptr;
  if (!value || value->kind != json::Value::Kind::integer) return std::nullopt;
  return value->integer;
}

}  // namespace unipay::channels
