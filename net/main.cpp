// unipayd: parse the command line, then serve, migrate, create an app or reconcile.
#include <cstdio>

#include "config/config.hpp"
#include "net/server_main.hpp"

int main(int argc, char** argv) {
  using unipay::config::Command;
  auto invocation = unipay::config::parse_invocation(argc, argv);
  switch (invocation.command) {
    case Command::exit_now:
      std::fputs(invocation.message.c_str(), invocation.exit_code == 0 ? stdout : stderr);
      if (!invocation.message.empty() && invocation.message.back() != '\n') {
        std::fputc('\n', invocation.exit_code == 0 ? stdout : stderr);
      }
      return invocation.exit_code;
    case Command::serve:
      return unipay::run_serve(invocation.config);
    case Command::migrate:
      return unipay::run_migrate(invocation.config);
    case Command::app_create:
      return unipay::run_app_create(invocation.config, invocation.app_create);
    case Command::reconcile:
      return unipay::run_reconcile(invocation.config, invocation.reconcile);
  }
  return 2;
}
