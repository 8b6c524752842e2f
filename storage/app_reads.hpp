// Per-thread caches (one second) of apps and catalog items: signed requests, callbacks,
// creates and deliveries all need them, and the rows change rarely. Each io or actor thread
// keeps its own copy, so no lock is taken; the caller looks up on its own thread and, after
// a database read, remembers the row back on its own thread. An admin change is seen within
// a second on every node (both secrets are valid during a rotation).
#pragma once

#include <optional>
#include <string>

#include "storage/app_store.hpp"

namespace unipay::storage {

std::optional<App> cached_app(const std::string& app_id);
void remember_app(const App& app);

// Negative entries: an app id the database did not know a moment ago is answered "unknown"
// from memory (ten seconds, bounded), so a flood naming an app that does not exist costs no
// read per request. An app created on this node is seen at once (see note_app_changed);
// one created on another node is seen within ten seconds, and only if its id had been
// asked for before it existed.
bool cached_unknown_app(const std::string& app_id);
void remember_unknown_app(const std::string& app_id);

// True when this thread has read the app within the last five minutes: it existed then,
// so reading it again is not a lookup of a made-up id (see net/app_lookup_budget.hpp).
bool recently_known_app(const std::string& app_id);

// A signature that does not match the cached secrets may come from a rotation the cache
// has not seen yet, so the caller re-reads the app, but at most once per interval per app
// (per thread), or again after an admin change on this node: forged signatures cannot turn
// into a read each, and a rotation made here is seen at once. True: re-read now.
bool claim_app_reread(const std::string& app_id);

// Called after an admin change to any app committed on this node (create, update,
// rotation): every thread's negative entries and re-read allowances start afresh.
void note_app_changed();

// The outer optional: cached or not; the inner: in the catalog or not.
std::optional<std::optional<CatalogItem>> cached_catalog_item(const std::string& app_id,
                                                              const std::string& item_id);
void remember_catalog_item(const std::string& app_id, const std::string& item_id,
                           const std::optional<CatalogItem>& item);

}  // namespace unipay::storage
