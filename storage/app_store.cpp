// SQL for apps, secrets (kept as generations), catalogs and request nonces.
#include "storage/app_store.hpp"

#include "storage/sql_support.hpp"

namespace unipay::storage {

namespace {

// Reads PostgreSQL's text output of a one-dimensional text[]: {a,b} where an element is
// double-quoted (with backslash escapes) when it is empty or holds a delimiter, brace,
// quote, backslash or space; an unquoted NULL is SQL NULL and is skipped (secrets are
// NOT NULL). None when the text is not such an array.
std::optional<std::vector<std::string>> parse_text_array(std::string_view text) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return std::nullopt;
  std::vector<std::string> out;
  size_t pos = 1;
  const size_t end = text.size() - 1;
  while (pos < end) {
    std::string element;
    bool quoted = text[pos] == '"';
    if (quoted) {
      ++pos;
      while (pos < end && text[pos] != '"') {
        if (text[pos] == '\\') ++pos;
        if (pos >= end) return std::nullopt;
        element += text[pos++];
      }
      if (pos >= end) return std::nullopt;
      ++pos;  // closing quote
    } else {
      while (pos < end && text[pos] != ',') element += text[pos++];
    }
    if (quoted || element != "NULL") out.push_back(std::move(element));
    if (pos < end && text[pos++] != ',') return std::nullopt;
  }
  return out;
}

// One catalog row, inserted only when the app exists, so replacing the catalog of an
// unknown app changes nothing instead of failing the op on the foreign key.
Statement insert_catalog_item(const std::string& app_id, const CatalogItem& item) {
  return {
      "INSERT INTO catalog_items (app_id, item_id, amount_minor, currency, coins) "
      "SELECT $1::text, $2::text, $3::bigint, $4::text, $5::bigint "
      "WHERE EXISTS (SELECT 1 FROM apps WHERE app_id = $1::text)",
      {app_id, item.item_id, std::to_string(item.amount_minor), item.currency, std::to_string(item.coins)}};
}

const char* const kCatalogColumns = "item_id, amount_minor, currency, coins";

std::optional<CatalogItem> parse_catalog_row(const Rows& rows, size_t row) {
  if (rows.rows[row].size() < 4) return std::nullopt;
  auto amount = sql::to_int64(rows, row, 1);
  auto coins = sql::to_int64(rows, row, 3);
  if (!amount || !coins) return std::nullopt;
  return CatalogItem{rows.text(row, 0), *amount, rows.text(row, 2), *coins};
}

}  // namespace

std::vector<Statement> insert_app(const App& app, const std::vector<CatalogItem>& catalog) {
  std::vector<Statement> out;
  out.push_back(
      {"INSERT INTO apps (app_id, name, delivery_url, channels) "
       "VALUES ($1, $2, $3, $4::jsonb)",
       {app.app_id, app.name, app.delivery_url, app.channels_json}});
  if (!app.secrets.empty()) {
    out.push_back({"INSERT INTO app_secrets (app_id, generation, secret) VALUES ($1, 1, $2)",
                   {app.app_id, app.secrets.front()}});
  }
  for (const auto& item : catalog) out.push_back(insert_catalog_item(app.app_id, item));
  return out;
}

std::vector<Statement> update_app(const std::string& app_id, const std::optional<std::string>& name,
                                  const std::optional<std::string>& delivery_url,
                                  const std::optional<std::string>& channels_json,
                                  const std::optional<std::vector<CatalogItem>>& catalog) {
  std::vector<Statement> out;
  out.push_back(
      {"UPDATE apps SET name = COALESCE($2::text, name), "
       "delivery_url = COALESCE($3::text, delivery_url), "
       "channels = COALESCE($4::jsonb, channels), updated_at = now() "
       "WHERE app_id = $1 RETURNING app_id",
       {app_id, name, delivery_url, channels_json}});
  if (catalog) {
    out.push_back({"DELETE FROM catalog_items WHERE app_id = $1", {app_id}});
    for (const auto& item : *catalog) out.push_back(insert_catalog_item(app_id, item));
  }
  return out;
}

// `cur` is one row per existing app (generation 0 when it has no secret yet), so an
// unknown app inserts nothing and the statement answers no row. Two rotations racing on
// one app collide on the primary key; the loser fails instead of skipping a generation.
Statement rotate_secret(const std::string& app_id, const std::string& new_secret) {
  return {
      "WITH cur AS (SELECT a.app_id, COALESCE(max(s.generation), 0) AS gen FROM apps a "
      "LEFT JOIN app_secrets s ON s.app_id = a.app_id WHERE a.app_id = $1::text "
      "GROUP BY a.app_id), "
      "ins AS (INSERT INTO app_secrets (app_id, generation, secret) "
      "SELECT app_id, gen + 1, $2::text FROM cur RETURNING generation), "
      "del AS (DELETE FROM app_secrets WHERE app_id = $1::text "
      "AND generation < (SELECT gen FROM cur)), "
      "touch AS (UPDATE apps SET updated_at = now() WHERE app_id IN (SELECT app_id FROM cur)) "
      "SELECT generation FROM ins",
      {app_id, new_secret}};
}

Statement select_app(const std::string& app_id) {
  return {"SELECT a.app_id, a.name, a.delivery_url, a.channels::text, " + sql::ms_column("a.created_at") +
              ", " + sql::ms_column("a.updated_at") +
              ", ARRAY(SELECT s.secret FROM app_secrets s WHERE s.app_id = a.app_id "
              "ORDER BY s.generation DESC LIMIT 2) "
              "FROM apps a WHERE a.app_id = $1",
          {app_id}};
}

std::optional<App> parse_app(const Rows& rows) {
  if (rows.empty() || rows.rows[0].size() < 7) return std::nullopt;
  auto created = sql::to_millis(rows, 0, 4);
  auto updated = sql::to_millis(rows, 0, 5);
  auto secrets = parse_text_array(rows.text(0, 6));
  if (!created || !updated || !secrets) return std::nullopt;
  App app;
  app.app_id = rows.text(0, 0);
  app.name = rows.text(0, 1);
  app.delivery_url = rows.text(0, 2);
  app.channels_json = rows.text(0, 3);
  app.secrets = std::move(*secrets);
  app.created_at = format_rfc3339_ms(*created);
  app.updated_at = format_rfc3339_ms(*updated);
  return app;
}

Statement select_catalog(const std::string& app_id) {
  return {std::string("SELECT ") + kCatalogColumns + " FROM catalog_items WHERE app_id = $1 ORDER BY item_id",
          {app_id}};
}

std::vector<CatalogItem> parse_catalog(const Rows& rows) {
  std::vector<CatalogItem> out;
  for (size_t row = 0; row < rows.size(); ++row) {
    if (auto item = parse_catalog_row(rows, row)) out.push_back(std::move(*item));
  }
  return out;
}

Statement select_catalog_item(const std::string& app_id, const std::string& item_id) {
  return {std::string("SELECT ") + kCatalogColumns + " FROM catalog_items WHERE app_id = $1 AND item_id = $2",
          {app_id, item_id}};
}

std::optional<CatalogItem> parse_catalog_item(const Rows& rows) {
  if (rows.empty()) return std::nullopt;
  return parse_catalog_row(rows, 0);
}

// A nonce older than the window may come again: the upsert refreshes it and counts it
// as fresh, so the answer never depends on whether the purge has run.
std::string nonce_upsert_sql(const std::string& app_param, const std::string& nonce_param,
                             const std::string& window_param) {
  std::string sql = "INSERT INTO nonces (app_id, nonce) VALUES (";
  sql += app_param;
  sql += ", ";
  sql += nonce_param;
  sql += ") ON CONFLICT (app_id, nonce) DO UPDATE SET seen_at = now() WHERE nonces.seen_at < now() - ";
  sql += window_param;
  sql += "::integer * interval '1 second'";
  return sql;
}

Statement insert_nonce(const std::string& app_id, const std::string& nonce, int window_s) {
  static const std::string sql = nonce_upsert_sql("$1", "$2", "$3") + " RETURNING 1";
  return {sql, {app_id, nonce, std::to_string(window_s)}};
}

}  // namespace unipay::storage
