// Versioned SQL migrations (storage/migrations/NNN_name.sql, compiled into the binary).
#pragma once

#include <string>

#include "config/result.hpp"

namespace unipay::storage {

// Applies every migration not yet recorded in schema_migrations, each in its own
// transaction, under an advisory lock so concurrent nodes do not race. Blocking.
Status apply_migrations(const std::string& conninfo);

// True when every migration compiled into this binary is applied (for /readyz). Blocking.
Result<bool> migrations_current(const std::string& conninfo);

// Highest migration version compiled into this binary.
int latest_migration_version();

}  // namespace unipay::storage
