// What unipayd does: serve, migrate, app create, reconcile (net/main.cpp dispatches).
#pragma once

#include "config/config.hpp"

namespace unipay {

int run_serve(const config::Config& config);
int run_migrate(const config::Config& config);
// net/app_create_command.cpp
int run_app_create(const config::Config& config, const config::AppCreateArgs& args);
// net/reconcile_command.cpp
int run_reconcile(const config::Config& config, const config::ReconcileArgs& args);

// Logs go to stderr (stdout carries the commands' answers), as the server settings say.
void setup_logging(const config::ServerConfig& server);

}  // namespace unipay
