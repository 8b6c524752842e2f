// `unipayd app create`: an app made through the admin API's own checks (every channel's
// credentials parsed by its adapter, the delivery URL rule), stored, and printed as JSON with
// its secret (and the sandbox secret the command made, shown this once).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>
#include <future>
#include <sstream>

#include "net/app_spec.hpp"
#include "net/database_setup.hpp"
#include "net/server_main.hpp"
#include "storage/app_store.hpp"

namespace unipay {
namespace {

// --channels: JSON text, or "@path" naming a file holding it.
Result<std::string> channels_text(const std::string& arg) {
  if (!arg.starts_with('@')) return arg;
  std::ifstream file(arg.substr(1));
  std::stringstream text;
  text << file.rdbuf();
  if (!file) return make_error(Errc::invalid_parameter, "--channels: cannot read " + arg.substr(1));
  return text.str();
}

// The create body the admin API would receive, so the CLI goes through the same checks
// (every channel's credentials parsed by its adapter). `sandbox_secret` (when not empty)
// makes the sandbox channel.
Result<AppSpec> app_create_spec(const config::AppCreateArgs& args, const std::string& sandbox_secret,
                                bool allow_private) {
  json::Writer body;
  body.begin_object().key("name").string(args.name).key("delivery_url").string(args.delivery_url);
  body.key("channels").begin_object();
  if (!args.channels_json.empty()) {
    auto text = channels_text(args.channels_json);
    if (!text) return text.error();
    auto given = json::parse(*text);
    if (!given) return make_error(Errc::invalid_json, "--channels: " + given.error().message);
    if (!given->is_object()) return make_error(Errc::invalid_parameter, "--channels must be a JSON object");
    for (const auto& [name, fields] : given->members) {
      if (name != "sandbox" || sandbox_secret.empty()) body.key(name).raw(json::serialize(fields));
    }
  }
  if (!sandbox_secret.empty())
    body.key("sandbox").begin_object().key("secret").string(sandbox_secret).end_object();
  body.end_object().end_object();
  auto parsed = json::parse(body.str());
  if (!parsed) return parsed.error();
  return parse_app_spec(*parsed, allow_private);
}

// The app as stored (created_at and updated_at filled by the database).
Result<storage::App> read_back_app(storage::Database& db, const std::string& app_id) {
  std::promise<Result<storage::Rows>> read;
  db.read(storage::select_app(app_id),
          [&read](Result<storage::Rows> rows) { read.set_value(std::move(rows)); });
  auto rows = read.get_future().get();
  if (!rows) return rows.error();
  auto app = storage::parse_app(*rows);
  if (!app) return make_error(Errc::storage_read, "the new app " + app_id + " cannot be read back");
  return std::move(*app);
}

}  // namespace

int run_app_create(const config::Config& config, const config::AppCreateArgs& args) {
  setup_logging(config.server);
  // Without --channels the app gets a sandbox channel (a generated secret unless given).
  std::string sandbox_secret = args.sandbox_secret;
  if (sandbox_secret.empty() && args.channels_json.empty()) sandbox_secret = generate_secret();
  auto spec = app_create_spec(args, sandbox_secret, config.delivery.allow_private);
  auto app = spec ? new_app(*spec) : Result<storage::App>(spec.error());
  if (!app) {
    std::fprintf(stderr, "%s\n", app.error().message.c_str());
    return 2;
  }
  auto setup = setup_database(config);
  if (!setup) {
    spdlog::error("cannot reach the database: {}", setup.error().message);
    return 1;
  }
  std::promise<Result<std::vector<storage::Rows>>> written;
  setup->db->write(storage::insert_app(*app, {}), [&written](auto r) { written.set_value(std::move(r)); });
  auto result = written.get_future().get();
  if (!result) {
    std::fprintf(stderr, "cannot store the app: %s\n", result.error().message.c_str());
    return 1;
  }
  auto stored = read_back_app(*setup->db, app->app_id);
  if (!stored) {
    std::fprintf(stderr, "%s\n", stored.error().message.c_str());
    return 1;
  }
  std::string answer = app_answer(*stored, {}, app->secrets[0]);
  if (sandbox_secret.empty()) {
    std::printf("%s\n", answer.c_str());
    return 0;
  }
  answer.pop_back();  // add the sandbox secret, shown this once
  json::Writer tail;
  tail.begin_object().key("sandbox_secret").string(sandbox_secret).end_object();
  std::printf("%s,%s\n", answer.c_str(), tail.str().c_str() + 1);
  return 0;
}

}  // namespace unipay
