// The server key that seals client tokens in stored idempotent answers (net/token_seal.hpp).
// It lives in a file, never in the database: a dump of the database alone reveals no
// token. Every node of a cluster must use the same file (a replay may reach any node).
#pragma once

#include <string>

#include "config/config.hpp"
#include "net/token_seal.hpp"

namespace unipay {

// server.token_key_file, or <database.data_dir>/token.key when that is empty.
std::string token_key_path(const config::Config& config);

struct LoadedTokenKey {
  TokenKey key;
  bool created = false;             // this start made the file
  bool readable_by_others = false;  // group or others may read it (worth a warning)
};

// Reads the key file: 64 lowercase hex characters, an optional trailing newline. When it
// does not exist it is created, with its directory, holding 256 random bits, mode 0600;
// creation is atomic (write a temporary file, then link it into place), so two processes
// starting together end up with the same key. Blocking: start-up only. Errors are
// invalid_parameter naming the file and what is wrong with it.
Result<LoadedTokenKey> load_or_create_token_key(const std::string& path);

}  // namespace unipay
