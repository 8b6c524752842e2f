// Reaching the database at start: the configured URL, or the embedded cluster under the
// data directory (started or attached), then the migrations. Blocking; start-up only.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "storage/database.hpp"
#include "storage/embedded_pg.hpp"

namespace unipay {

struct DatabaseSetup {
  std::string conninfo;
  std::optional<storage::EmbeddedPostgres> embedded;  // set when unipayd owns the cluster
  std::unique_ptr<storage::Database> db;
};

// Logs what failed and returns the error; on success the schema is current. A serving
// process passes its incarnation (storage/node_store.hpp): every connection carries it.
Result<DatabaseSetup> setup_database(const config::Config& config, const std::string& incarnation = {});

}  // namespace unipay
