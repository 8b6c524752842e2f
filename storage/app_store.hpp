// SQL for apps, their secrets and catalogs. Statement builders are pure; parsers turn the
// rows of the matching select back into values.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace unipay::channels {
class AppChannels;  // net/channels/channel_adapter.hpp: storage only carries it
}

namespace unipay::storage {

struct CatalogItem {
  std::string item_id;
  int64_t amount_minor = 0;
  std::string currency;
  int64_t coins = 0;
};

struct App {
  std::string app_id;
  std::string name;
  std::string delivery_url;
  std::string channels_json = "{}";  // the `channels` object as given (secrets included)
  std::vector<std::string> secrets;  // newest first: [current, previous]
  std::string created_at;            // RFC 3339, as stored
  std::string updated_at;
  // channels_json parsed into typed credentials by the net layer when it loads the app into
  // its cache (net/app_spec.hpp, attach_channels), so no request parses them again; null
  // where the app was read for another purpose (delivery).
  std::shared_ptr<const channels::AppChannels> channels;
};

// Inserts the app, its first secret (generation 1) and its catalog: one write op.
std::vector<Statement> insert_app(const App& app, const std::vector<CatalogItem>& catalog);

// Updates name, delivery_url and channels (each only when given); replaces the catalog
// when given. First statement returns one row when the app exists.
std::vector<Statement> update_app(const std::string& app_id, const std::optional<std::string>& name,
                                  const std::optional<std::string>& delivery_url,
                                  const std::optional<std::string>& channels_json,
                                  const std::optional<std::vector<CatalogItem>>& catalog);

// Adds secret generation n+1 and drops generations below n (keeps current + previous).
// Returns one row when the app exists.
Statement rotate_secret(const std::string& app_id, const std::string& new_secret);

// One row per app: app_id, name, delivery_url, channels, created_at, updated_at,
// secrets (text[] newest first, at most two).
Statement select_app(const std::string& app_id);
std::optional<App> parse_app(const Rows& rows);

// Rows of the app's catalog: item_id, amount_minor, currency, coins.
Statement select_catalog(const std::string& app_id);
std::vector<CatalogItem> parse_catalog(const Rows& rows);

// One row when the item is in the app's catalog.
Statement select_catalog_item(const std::string& app_id, const std::string& item_id);
std::optional<CatalogItem> parse_catalog_item(const Rows& rows);

// Records the nonce; returns one row when it was not seen within `window_s` seconds
// (fresh), none when it is a replay.
Statement insert_nonce(const std::string& app_id, const std::string& nonce, int window_s);

// A signed request's nonce, to be recorded by the statement of the work it authorises
// (insert_bill), so that work and nonce commit together or not at all.
struct NonceClaim {
  std::string app_id;
  std::string nonce;
  int window_s = 0;
};
// insert_nonce's upsert as a CTE body (no RETURNING), with the given parameter
// placeholders: the one place the nonce rule is written.
std::string nonce_upsert_sql(const std::string& app_param, const std::string& nonce_param,
                             const std::string& window_param);
// Purging old nonces and idempotency keys: storage/housekeeping_store.hpp (in chunks).

}  // namespace unipay::storage
