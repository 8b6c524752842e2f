// apply_toml(): the tables of a TOML file, one per settings section ([server], [database],
// [bills], [delivery], [providers], [channels], [callbacks], [wallets]).
#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <exception>

#include "config/config.hpp"
#include "config/settings.hpp"

namespace unipay::config {
namespace {

using detail::Kind;
using detail::Setting;
using detail::Value;

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::text:
      return "a string";
    case Kind::integer:
      return "an integer";
    case Kind::boolean:
      return "a boolean";
  }
  return "a value";
}

std::string_view node_type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    default:
      return "a date or time";
  }
}

// The TOML scalars settings can hold; anything else is a type error.
std::optional<Value> to_value(const toml::node& node) {
  if (const auto* flag = node.as_boolean()) return Value{flag->get()};
  if (const auto* number = node.as_integer()) return Value{number->get()};
  if (const auto* text = node.as_string()) return Value{text->get()};
  return std::nullopt;
}

const Setting* find_setting(std::string_view section, std::string_view key) {
  const auto& all = detail::settings();
  auto it = std::find_if(all.begin(), all.end(),
                         [&](const Setting& s) { return s.section == section && s.key == key; });
  return it == all.end() ? nullptr : &*it;
}

void apply_key(std::string_view section, std::string_view key, const toml::node& node, Config& config,
               std::vector<std::string>& errors) {
  const Setting* setting = find_setting(section, key);
  if (setting == nullptr) {
    errors.push_back(fmt::format("unknown key {}.{}", section, key));
    return;
  }
  std::optional<Value> value = to_value(node);
  if (!value) {
    errors.push_back(fmt::format("{}: expected {}, got {}", setting->toml_path(), kind_name(setting->kind),
                                 node_type_name(node)));
    return;
  }
  if (auto problem = setting->set(config, *value)) {
    errors.push_back(fmt::format("{}: {}", setting->toml_path(), *problem));
  }
}

void apply_table(const toml::table& root, Config& config, std::vector<std::string>& errors) {
  const auto& all = detail::settings();
  for (const auto& [name, node] : root) {
    const std::string_view section = name.str();
    if (std::none_of(all.begin(), all.end(), [section](const Setting& s) { return s.section == section; })) {
      errors.push_back(fmt::format("unknown key {}", section));
      continue;
    }
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      errors.push_back(fmt::format("{}: expected a table, got {}", section, node_type_name(node)));
      continue;
    }
    for (const auto& [key, value] : *table) apply_key(section, key.str(), value, config, errors);
  }
}

std::string describe(const toml::parse_error& error) {
  const auto& where = error.source().begin;
  return fmt::format("TOML syntax error at line {}, column {}: {}", where.line, where.column,
                     error.description());
}

}  // namespace

std::vector<std::string> apply_toml(const std::string& toml_text, Config& config) {
  std::vector<std::string> errors;
#if TOML_EXCEPTIONS
  // toml++ reports syntax errors by throwing; they stop here, as values.
  try {
    const toml::table root = toml::parse(toml_text);
    apply_table(root, config, errors);
  } catch (const toml::parse_error& error) {
    errors.push_back(describe(error));
  } catch (const std::exception& error) {
    errors.push_back(fmt::format("cannot read TOML: {}", error.what()));
  }
#else
  toml::parse_result result = toml::parse(toml_text);
  if (!result) {
    errors.push_back(describe(result.error()));
  } else {
    apply_table(result.table(), config, errors);
  }
#endif
  return errors;
}

}  // namespace unipay::config
