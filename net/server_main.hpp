// The three things unipayd does: serve, migrate, app create (net/main.cpp dispatches).
#pragma once

#include "config/config.hpp"

namespace unipay {

int run_serve(const config::Config& config);
int run_migrate(const config::Config& config);
int run_app_create(const config::Config& config, const config::AppCreateArgs& args);

}  // namespace unipay
