#include "storage/app_reads.hpp"

#include <atomic>

#include "storage/ttl_cache.hpp"

namespace unipay::storage {
namespace {

constexpr std::chrono::milliseconds kTtl{1000};
constexpr size_t kMaxEntries = 10000;

TtlCache<App>& app_cache() {
  thread_local TtlCache<App> cache(kTtl, kMaxEntries);
  return cache;
}

// Bumped by every admin change to an app on this node. Negative entries and re-read
// claims remember the generation they were made in and lapse when it moves. A counter,
// not domain state: the apps themselves live in the database.
std::atomic<uint64_t> apps_generation{0};
uint64_t current_generation() { return apps_generation.load(std::memory_order_acquire); }

// Unknown app ids: bounded like the positive entries; a flood of distinct ids only
// empties this table (then each id costs a read again), never grows it.
constexpr std::chrono::milliseconds kUnknownTtl{10000};
constexpr size_t kMaxUnknownEntries = 10000;
TtlCache<uint64_t>& unknown_app_cache() {
  thread_local TtlCache<uint64_t> cache(kUnknownTtl, kMaxUnknownEntries);
  return cache;
}

// Ids of apps read lately (existence only, no secrets).
constexpr std::chrono::milliseconds kKnownIdTtl{300000};
TtlCache<bool>& known_app_ids() {
  thread_local TtlCache<bool> ids(kKnownIdTtl, kMaxEntries);
  return ids;
}

// At most one signature-mismatch re-read per app per interval (per thread).
constexpr std::chrono::milliseconds kRereadInterval{1000};
TtlCache<uint64_t>& reread_claims() {
  thread_local TtlCache<uint64_t> claims(kRereadInterval, kMaxEntries);
  return claims;
}

TtlCache<std::optional<CatalogItem>>& catalog_cache() {
  thread_local TtlCache<std::optional<CatalogItem>> cache(kTtl, kMaxEntries);
  return cache;
}

std::string catalog_key(const std::string& app_id, const std::string& item_id) {
  return app_id + '\n' + item_id;
}

}  // namespace

std::optional<App> cached_app(const std::string& app_id) { return app_cache().get(app_id); }

void remember_app(const App& app) {
  unknown_app_cache().erase(app.app_id);
  known_app_ids().put(app.app_id, true);
  app_cache().put(app.app_id, app);
}

bool recently_known_app(const std::string& app_id) { return known_app_ids().get(app_id).has_value(); }

bool cached_unknown_app(const std::string& app_id) {
  return unknown_app_cache().get(app_id) == current_generation();
}

void remember_unknown_app(const std::string& app_id) {
  app_cache().erase(app_id);
  known_app_ids().erase(app_id);
  unknown_app_cache().put(app_id, current_generation());
}

bool claim_app_reread(const std::string& app_id) {
  const uint64_t generation = current_generation();
  if (reread_claims().get(app_id) == generation) return false;
  reread_claims().put(app_id, generation);
  return true;
}

void note_app_changed() { apps_generation.fetch_add(1, std::memory_order_acq_rel); }

std::optional<std::optional<CatalogItem>> cached_catalog_item(const std::string& app_id,
                                                              const std::string& item_id) {
  return catalog_cache().get(catalog_key(app_id, item_id));
}

void remember_catalog_item(const std::string& app_id, const std::string& item_id,
                           const std::optional<CatalogItem>& item) {
  catalog_cache().put(catalog_key(app_id, item_id), item);
}

}  // namespace unipay::storage
