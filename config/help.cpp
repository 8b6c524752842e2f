// help_text(): generated from the settings table, so --help never forgets a flag.
#include <fmt/format.h>

#include "config/config.hpp"
#include "config/settings.hpp"

namespace unipay::config {
namespace {

constexpr std::string_view kUsage = R"(unipayd: unified payment server

Usage:
  unipayd [serve] [FLAGS]      run the server (the default when no subcommand is given)
  unipayd migrate [FLAGS]      apply the database schema, then exit
  unipayd app create --name N --delivery-url U [--sandbox-secret S] [--channels JSON|@FILE] [FLAGS]
                               create an app; prints it as JSON with its secret
  unipayd reconcile [--app ID] [FLAGS]
                               check the ledger of every app (or one): prints one JSON
                               line per app; exit 0 clean, 1 on a mismatch, 2 on a usage
                               or config error (or an unknown app), 3 when the database
                               cannot be read
  unipayd --help               print this text

app create:
  --name N                     the app's name (required)
  --delivery-url U             where paid bills are delivered (required)
  --sandbox-secret S           the sandbox channel's HMAC secret (default: generated)
  --channels JSON|@FILE        the app's channels object with each channel's credentials, as
                               in the admin API (docs/CHANNELS.md); without it the app gets
                               a sandbox channel only; with it, those channels (plus sandbox
                               when --sandbox-secret is given)

Flags may come before or after the subcommand. Each is also read from the environment
variable in brackets. Precedence: defaults < --config file < environment < flags.
Environment booleans: 1/true/yes or 0/false/no.

)";

constexpr std::string_view kTrailer = R"(  -h, --help
      print this text

Every setting, including those with no flag, has a TOML key; see docs/CONFIGURATION.md.
)";

}  // namespace

std::string help_text() {
  const Config defaults;
  std::string text(kUsage);
  text += fmt::format(
      "  {} FILE  [{}]\n      TOML file with [server], [database], [bills], [delivery] "
      "and [providers] tables\n",
      detail::kConfigFlag, detail::kConfigEnv);
  for (const detail::Setting& s : detail::settings()) {
    if (s.flag.empty()) continue;
    const std::string name =
        s.value_name.empty() ? std::string(s.flag) : fmt::format("{} {}", s.flag, s.value_name);
    text += fmt::format("  {}  [{}]  (default: {})\n      {}\n", name, s.env, s.show(defaults), s.help);
  }
  text += kTrailer;
  return text;
}

}  // namespace unipay::config
