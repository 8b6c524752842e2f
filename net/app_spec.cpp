#include "net/app_spec.hpp"

#include <spdlog/spdlog.h>

#include "actors/delivery_url.hpp"
#include "net/app_id.hpp"
#include "net/bill_request.hpp"
#include "net/channels/channel_adapter.hpp"
#include "net/crypto.hpp"

namespace unipay {
namespace {

Error invalid(std::string message) { return make_error(Errc::invalid_parameter, std::move(message)); }

Result<storage::CatalogItem> parse_catalog_item(const json::Value& v) {
  if (!v.is_object()) return invalid("catalog entries must be objects");
  storage::CatalogItem item;
  auto id = json::get_string(v, "item_id", 128);
  auto amount = json::get_amount(v, "amount");
  auto currency = json::get_string(v, "currency", 3);
  auto coins = json::get_count(v, "coins");
  if (!id || !amount || !currency || !coins)
    return invalid("catalog: item_id, amount, currency, coins malformed");
  if (!id->has_value() || !amount->has_value() || !currency->has_value() || !is_currency_code(**currency)) {
    return invalid("catalog entries need item_id, amount and a three-letter currency");
  }
  item.item_id = **id;
  item.amount_minor = **amount;
  item.currency = **currency;
  item.coins = coins->value_or(0);
  return item;
}

Status read_catalog(const json::Value& body, AppSpec& spec) {
  const json::Value* catalog = body.find("catalog");
  if (!catalog || catalog->kind == json::Value::Kind::null) return ok_status();
  if (catalog->kind != json::Value::Kind::array) return invalid("catalog must be an array");
  std::vector<storage::CatalogItem> items;
  for (const json::Value& v : catalog->items) {
    auto item = parse_catalog_item(v);
    if (!item) return item.error();
    for (const auto& seen : items) {
      if (seen.item_id == item->item_id) return invalid("catalog lists item " + item->item_id + " twice");
    }
    items.push_back(std::move(*item));
  }
  spec.catalog = std::move(items);
  return ok_status();
}

// Every channel is checked by its adapter (unknown names refused), all problems in one error.
Status read_channels(const json::Value& body, AppSpec& spec) {
  const json::Value* channels = body.find("channels");
  if (!channels || channels->kind == json::Value::Kind::null) return ok_status();
  auto parsed = channels::parse_app_channels(channels::default_registry(), *channels);
  if (!parsed) return parsed.error();
  spec.channels_json = json::serialize(*channels);
  return ok_status();
}

}  // namespace

Result<AppSpec> parse_app_spec(const json::Value& body, bool allow_private) {
  if (!body.is_object()) return invalid("the body must be a JSON object");
  AppSpec spec;
  auto name = json::get_string(body, "name", 200);
  if (!name) return name.error();
  spec.name = *name;
  auto url = json::get_string(body, "delivery_url", 2048);
  if (!url) return url.error();
  if (url->has_value()) {
    if (auto s = check_delivery_url(**url, allow_private); !s) return s.error();
    spec.delivery_url = **url;
  }
  if (auto s = read_channels(body, spec); !s) return s.error();
  if (auto s = read_catalog(body, spec); !s) return s.error();
  return spec;
}

std::string generate_secret() { return crypto::random_hex(32); }

void attach_channels(storage::App& app) {
  auto fields = json::parse(app.channels_json);
  auto parsed = fields ? channels::parse_app_channels(channels::default_registry(), *fields)
                       : Result<channels::AppChannels>(fields.error());
  if (!parsed) {
    // Stored before the adapters checked credentials, or edited by hand: the app keeps
    // working for everything else, and bills and callbacks of its channels are refused.
    spdlog::error("app {}: stored channels are not valid, none configured: {}", app.app_id,
                  parsed.error().message);
    app.channels = std::make_shared<const channels::AppChannels>();
    return;
  }
  app.channels = std::make_shared<const channels::AppChannels>(std::move(*parsed));
}

const channels::AppChannels& app_channels(const storage::App& app) {
  static const channels::AppChannels kNone;
  return app.channels ? *app.channels : kNone;
}

Result<storage::App> new_app(const AppSpec& spec) {
  if (!spec.name || spec.name->empty()) return invalid("name is required");
  if (!spec.delivery_url) return invalid("delivery_url is required");
  storage::App app;
  app.app_id = new_app_id();
  app.name = *spec.name;
  app.delivery_url = *spec.delivery_url;
  app.channels_json = spec.channels_json.value_or("{}");
  app.secrets = {generate_secret()};
  return app;
}

void write_app(json::Writer& out, const storage::App& app, const std::vector<storage::CatalogItem>& catalog) {
  out.begin_object();
  out.key("app_id").string(app.app_id);
  out.key("name").string(app.name);
  out.key("delivery_url").string(app.delivery_url);
  out.key("channels").begin_object();
  if (auto channels = json::parse(app.channels_json)) {
    for (const auto& [name, fields] : channels->members) {
      out.key(name).begin_object();
      for (const auto& field : fields.members) out.key(field.first).boolean(true);
      out.end_object();
    }
  }
  out.end_object();
  out.key("catalog").begin_array();
  for (const auto& item : catalog) {
    out.begin_object().key("item_id").string(item.item_id).key("amount").integer(item.amount_minor);
    out.key("currency").string(item.currency).key("coins").integer(item.coins).end_object();
  }
  out.end_array();
  out.key("created_at").string(app.created_at);
  out.key("updated_at").string(app.updated_at);
  out.end_object();
}

std::string app_answer(const storage::App& app, const std::vector<storage::CatalogItem>& catalog,
                       const std::string& secret) {
  json::Writer out;
  out.begin_object().key("app");
  write_app(out, app, catalog);
  if (!secret.empty()) out.key("secret").string(secret);
  out.end_object();
  return out.take();
}

}  // namespace unipay
