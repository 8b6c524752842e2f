// parse_invocation(): subcommands and flags (CLI11), the environment, the --config file,
// layered as defaults < file < environment < flags, then validated as a whole.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>

#include "config/config.hpp"
#include "config/settings.hpp"

namespace unipay::config {
namespace {

using detail::Kind;
using detail::Setting;

// Where one setting's flag lands; registered with CLI11 as raw text so that bad values
// are reported together with every other problem instead of stopping the parse.
struct FlagSlot {
  std::string text;
  bool on = false;
  CLI::Option* option = nullptr;
};

class CommandLine {
 public:
  CommandLine() : slots_(detail::settings().size()) {
    add_globals();
    add_subcommands();
  }

  // Empty when the invocation should go on; otherwise what to print and the exit code.
  std::optional<Invocation> parse(int argc, const char* const* argv);
  Command command();
  const AppCreateArgs& app_create() const { return app_create_; }
  const ReconcileArgs& reconcile() const { return reconcile_; }
  // `--app ""`: named, but no app.
  bool reconcile_app_empty() const { return reconcile_app_->count() > 0 && reconcile_.app_id.empty(); }
  // The --config flag, or UNIPAY_CONFIG; empty: no file.
  std::string config_path() const;
  void apply_flags(Config& config, std::vector<std::string>& errors) const;

 private:
  void add_globals();
  void add_subcommands();

  CLI::App app_{"unipay payment server", "unipayd"};
  CLI::App* migrate_ = nullptr;
  CLI::App* create_ = nullptr;
  CLI::App* reconcile_command_ = nullptr;
  CLI::Option* reconcile_app_ = nullptr;
  std::vector<FlagSlot> slots_;  // parallel to detail::settings(); sized once, never moves
  std::string config_path_;
  CLI::Option* config_option_ = nullptr;
  AppCreateArgs app_create_;
  ReconcileArgs reconcile_;
};

Invocation exit_now(int code, std::string message) {
  Invocation invocation;
  invocation.command = Command::exit_now;
  invocation.exit_code = code;
  invocation.message = std::move(message);
  return invocation;
}

void CommandLine::add_globals() {
  // Subcommands created after this inherit it: a global flag after the subcommand is
  // handed back to the main parser.
  app_.fallthrough();
  config_option_ = app_.add_option(std::string(detail::kConfigFlag), config_path_, "TOML file")
                       ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  const auto& all = detail::settings();
  for (size_t i = 0; i < all.size(); ++i) {
    const Setting& s = all[i];
    if (s.flag.empty()) continue;
    const std::string name(s.flag);
    const std::string help(s.help);
    slots_[i].option = s.kind == Kind::boolean ? app_.add_flag(name, slots_[i].on, help)
                                               : app_.add_option(name, slots_[i].text, help);
    slots_[i].option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  }
}

void CommandLine::add_subcommands() {
  app_.require_subcommand(0, 1);
  app_.add_subcommand("serve", "run the server")->fallthrough();
  migrate_ = app_.add_subcommand("migrate", "apply the database schema, then exit");
  migrate_->fallthrough();
  CLI::App* apps = app_.add_subcommand("app", "manage apps");
  apps->fallthrough()->require_subcommand(1);
  create_ = apps->add_subcommand("create", "create an app; prints it as JSON with its secret");
  create_->fallthrough();
  create_->add_option("--name", app_create_.name, "the app's name")->required();
  create_->add_option("--delivery-url", app_create_.delivery_url, "delivery URL")->required();
  create_->add_option("--sandbox-secret", app_create_.sandbox_secret, "sandbox secret");
  create_->add_option("--channels", app_create_.channels_json, "channels object (JSON, or @file)");
  reconcile_command_ =
      app_.add_subcommand("reconcile", "check every app's books (or one's); exit 1 on a mismatch");
  reconcile_command_->fallthrough();
  reconcile_app_ = reconcile_command_->add_option("--app", reconcile_.app_id, "check only this app");
}

// CLI11 2.1 reads "--opt=" as "--opt" and then takes the *next* argument as the value, so
// `--database-url= migrate` would swallow the subcommand: pass the empty value explicitly.
// Flags (no value) are left alone so "--log-json=" stays an error about that flag.
// CLI11 wants the arguments reversed and without the program name.
std::vector<std::string> reversed_args(int argc, const char* const* argv, const CLI::App& app) {
  auto is_flag = [&app](std::string_view name) {
    const CLI::Option* option = app.get_option_no_throw(std::string(name));
    return option != nullptr && option->get_expected_min() == 0;
  };
  std::vector<std::string> args;
  bool options_ended = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    options_ended = options_ended || arg == "--";
    if (!options_ended && arg.size() > 3 && arg.starts_with("--") && arg.ends_with('=') &&
        !is_flag(arg.substr(0, arg.size() - 1))) {
      args.emplace_back(arg.substr(0, arg.size() - 1));
      args.emplace_back();
    } else {
      args.emplace_back(arg);
    }
  }
  std::reverse(args.begin(), args.end());
  return args;
}

std::optional<Invocation> CommandLine::parse(int argc, const char* const* argv) {
  try {
    std::vector<std::string> args = reversed_args(argc, argv, app_);
    app_.parse(args);
  } catch (const CLI::CallForHelp&) {
    return exit_now(0, help_text());
  } catch (const CLI::CallForAllHelp&) {
    return exit_now(0, help_text());
  } catch (const CLI::ParseError& error) {
    return exit_now(2, fmt::format("usage error: {}\nRun 'unipayd --help' for usage.\n", error.what()));
  }
  return std::nullopt;
}

Command CommandLine::command() {
  if (app_.got_subcommand(migrate_)) return Command::migrate;
  if (create_->parsed()) return Command::app_create;
  if (reconcile_command_->parsed()) return Command::reconcile;
  return Command::serve;
}

std::string CommandLine::config_path() const {
  if (config_option_->count() > 0) return config_path_;
  const char* env = std::getenv(std::string(detail::kConfigEnv).c_str());
  return env == nullptr ? std::string() : std::string(env);
}

// Parses `text` as `setting`'s kind and stores it; problems are named after `source`.
void apply_text(const Setting& setting, std::string_view text, std::string_view source, Config& config,
                std::vector<std::string>& errors) {
  auto value = detail::parse_text(setting.kind, text);
  if (!value) {
    errors.push_back(fmt::format("{}: {}", source, value.error().message));
    return;
  }
  if (auto problem = setting.set(config, *value)) {
    errors.push_back(fmt::format("{}: {}", source, *problem));
  }
}

void CommandLine::apply_flags(Config& config, std::vector<std::string>& errors) const {
  const auto& all = detail::settings();
  for (size_t i = 0; i < all.size(); ++i) {
    const FlagSlot& slot = slots_[i];
    if (slot.option == nullptr || slot.option->count() == 0) continue;
    if (all[i].kind == Kind::boolean) {
      if (auto problem = all[i].set(config, detail::Value{slot.on}))
        errors.push_back(fmt::format("{}: {}", all[i].flag, *problem));
    } else {
      apply_text(all[i], slot.text, all[i].flag, config, errors);
    }
  }
}

void apply_environment(Config& config, std::vector<std::string>& errors) {
  for (const Setting& s : detail::settings()) {
    if (s.env.empty()) continue;
    const char* raw = std::getenv(std::string(s.env).c_str());
    if (raw == nullptr) continue;
    // `UNIPAY_IO_THREADS= unipayd` reads as "not set" for numbers and booleans; for text
    // an empty value is meaningful (UNIPAY_DATABASE_URL= selects the embedded cluster).
    if (*raw == '\0' && s.kind != Kind::text) continue;
    apply_text(s, raw, s.env, config, errors);
  }
}

void apply_file(const std::string& path, Config& config, std::vector<std::string>& errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors.push_back(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  for (const std::string& problem : apply_toml(text.str(), config)) {
    errors.push_back(fmt::format("{}: {}", path, problem));
  }
}

std::string config_errors(const std::vector<std::string>& errors) {
  std::string message;
  for (const std::string& error : errors) message += "config error: " + error + "\n";
  return message;
}

Invocation parse_checked(int argc, const char* const* argv) {
  CommandLine line;
  if (auto early = line.parse(argc, argv)) return *std::move(early);
  Invocation invocation;
  invocation.command = line.command();
  invocation.app_create = line.app_create();
  invocation.reconcile = line.reconcile();
  std::vector<std::string> errors;
  Config& config = invocation.config;
  if (const std::string path = line.config_path(); !path.empty()) apply_file(path, config, errors);
  apply_environment(config, errors);
  line.apply_flags(config, errors);
  if (config.server.node_id.empty()) config.server.node_id = default_node_id();
  for (std::string& problem : validate(config)) errors.push_back(std::move(problem));
  if (invocation.command == Command::app_create) {
    if (invocation.app_create.name.empty()) errors.push_back("--name must not be empty");
    if (invocation.app_create.delivery_url.empty()) errors.push_back("--delivery-url must not be empty");
  }
  if (invocation.command == Command::reconcile && line.reconcile_app_empty())
    errors.push_back("--app must not be empty");
  if (!errors.empty()) return exit_now(2, config_errors(errors));
  return invocation;
}

}  // namespace

Invocation parse_invocation(int argc, const char* const* argv) {
  // CLI11 reports misuse of its API by throwing; nothing may escape this boundary.
  try {
    return parse_checked(argc, argv);
  } catch (const std::exception& error) {
    return exit_now(2, fmt::format("internal error while parsing the command line: {}\n", error.what()));
  }
}

}  // namespace unipay::config
