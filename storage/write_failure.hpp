// How the group writer answers a write op that failed in a transaction of its own: by the
// SQLSTATE of the statement that failed. A pure function, so the rule is tested alone.
#pragma once

#include <string_view>

#include "config/result.hpp"

namespace unipay::storage {

// Class 22 (data exception: a value the column cannot hold, such as U+0000 in jsonb) →
// invalid_parameter; class 23 (integrity constraint violation: a unique key already taken,
// a missing reference) → conflict. Both are refusals that no retry can turn into success
// (positive rets). Anything else (a deadlock, a serialization failure, a cancelled
// statement, a server shutting down, or no SQLSTATE at all) may pass next time:
// storage_write. The messages are for clients and never carry the SQLSTATE or the
// server's text; the caller logs those.
Error classify_write_failure(std::string_view sqlstate);

}  // namespace unipay::storage
