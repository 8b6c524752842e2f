#include "storage/app_reads.hpp"

#include "storage/ttl_cache.hpp"

namespace unipay::storage {
namespace {

constexpr std::chrono::milliseconds kTtl{1000};
constexpr size_t kMaxEntries = 10000;

TtlCache<App>& app_cache() {
  thread_local TtlCache<App> cache(kTtl, kMaxEntries);
  return cache;
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

void remember_app(const App& app) { app_cache().put(app.app_id, app); }

std::optional<std::optional<CatalogItem>> cached_catalog_item(const std::string& app_id,
                                                              const std::string& item_id) {
  return catalog_cache().get(catalog_key(app_id, item_id));
}

void remember_catalog_item(const std::string& app_id, const std::string& item_id,
                           const std::optional<CatalogItem>& item) {
  catalog_cache().put(catalog_key(app_id, item_id), item);
}

}  // namespace unipay::storage
