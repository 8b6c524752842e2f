// Apps as the admin API and `unipayd app create` see them: validation of the create and
// update bodies, generation of ids and secrets, and the public JSON (secrets never shown).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/result.hpp"
#include "net/json.hpp"
#include "storage/app_store.hpp"

namespace unipay::channels {
class AppChannels;
}

namespace unipay {

struct AppSpec {
  std::optional<std::string> name;
  std::optional<std::string> delivery_url;
  std::optional<std::string> channels_json;  // validated object, serialized
  std::optional<std::vector<storage::CatalogItem>> catalog;
};

// Fields are optional here; create_app requires name and delivery_url. delivery_url passes
// check_delivery_url (actors/delivery_url.hpp): http(s), and unless allow_private a host
// that is not, and cannot only name, a loopback/private/link-local/metadata address.
Result<AppSpec> parse_app_spec(const json::Value& body, bool allow_private);

// A new app with a generated app_id and HMAC secret. Errors: missing name or delivery_url.
Result<storage::App> new_app(const AppSpec& spec);

// {"app_id","name","delivery_url","channels":{"<name>":{"<field>":true}},"catalog":[...],
//  "created_at","updated_at"}: channel fields are reported as set (true), never shown.
void write_app(json::Writer& out, const storage::App& app, const std::vector<storage::CatalogItem>& catalog);

// {"app": {...}, "secret": "..."} (secret omitted when empty).
std::string app_answer(const storage::App& app, const std::vector<storage::CatalogItem>& catalog,
                       const std::string& secret);

std::string generate_secret();  // 256 random bits, hex

// Parses app.channels_json into app.channels, once, when the app is loaded into the cache
// (net/auth.cpp load_app). Stored channels that no longer parse count as none configured
// (logged at error).
void attach_channels(storage::App& app);
// The app's parsed channels (none when they were never attached).
const channels::AppChannels& app_channels(const storage::App& app);

}  // namespace unipay
