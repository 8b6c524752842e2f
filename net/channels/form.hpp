// application/x-www-form-urlencoded as the providers send it (Alipay notifications) and as
// unipay sends it (Alipay gateway requests, the app-pay order string). Parsing is strict:
// a notification that could be read two ways is refused rather than guessed at.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/result.hpp"

namespace unipay::channels::form {

using Fields = std::vector<std::pair<std::string, std::string>>;  // decoded, in body order

// invalid_parameter for: more than max_fields fields, an empty segment or one without '=',
// an empty key, a bad %XX escape, a key given twice.
Result<Fields> parse(std::string_view body, size_t max_fields);

// Percent-encodes everything but A-Z a-z 0-9 - _ . ! ~ * ' ( ) (JavaScript's
// encodeURIComponent, which Alipay's Node SDK uses for the order string); UTF-8 passes as bytes.
std::string encode_component(std::string_view text);
// k=v&k=v with both sides encoded, in the given order.
std::string encode(const Fields& fields);

// The value of `key`, or nullptr.
const std::string* find(const Fields& fields, std::string_view key);

}  // namespace unipay::channels::form
