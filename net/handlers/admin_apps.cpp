// Admin API: apps (create, read, update, rotate secret).
// Authorization: Bearer <admin token>.
#include "net/app_spec.hpp"
#include "net/auth.hpp"
#include "net/handlers/handlers.hpp"
#include "storage/app_reads.hpp"

namespace unipay::handlers {
namespace {

// Reads the app and its catalog, then answers {"app": ..., "secret"?}.
void answer_app(const CallPtr& call, const std::string& app_id, int status, std::string secret) {
  call->api.db->read(
      storage::select_app(app_id), call->resume<storage::Rows>([=](Result<storage::Rows> rows) {
        if (!rows) return call->fail(rows.error());
        auto app = storage::parse_app(*rows);
        if (!app) return call->fail(Errc::not_found, "no such app");
        call->api.db->read(storage::select_catalog(app_id),
                           call->resume<storage::Rows>([=](Result<storage::Rows> items) {
                             if (!items) return call->fail(items.error());
                             call->reply(status, app_answer(*app, storage::parse_catalog(*items), secret));
                           }));
      }));
}

std::optional<AppSpec> read_spec(const CallPtr& call) {
  auto body = parse_body(call);
  if (!body) return std::nullopt;
  auto spec = parse_app_spec(*body, call->api.config.delivery.allow_private);
  if (!spec) {
    call->fail(spec.error());
    return std::nullopt;
  }
  return std::move(*spec);
}

}  // namespace

void admin_create_app(const CallPtr& call) {
  if (!authenticate_admin(call)) return;
  auto spec = read_spec(call);
  if (!spec) return;
  auto app = new_app(*spec);
  if (!app) return call->fail(app.error());
  auto statements = storage::insert_app(*app, spec->catalog.value_or(std::vector<storage::CatalogItem>{}));
  call->api.db->write(std::move(statements), call->resume<std::vector<storage::Rows>>(
                                                 [call, id = app->app_id, secret = app->secrets[0]](auto r) {
                                                   if (!r) return call->fail(r.error());
                                                   storage::note_app_changed();
                                                   answer_app(call, id, 201, secret);
                                                 }));
}

void admin_get_app(const CallPtr& call) {
  if (!authenticate_admin(call)) return;
  answer_app(call, call->params.at(0), 200, "");
}

void admin_update_app(const CallPtr& call) {
  if (!authenticate_admin(call)) return;
  auto spec = read_spec(call);
  if (!spec) return;
  const std::string& app_id = call->params.at(0);
  auto statements =
      storage::update_app(app_id, spec->name, spec->delivery_url, spec->channels_json, spec->catalog);
  call->api.db->write(std::move(statements), call->resume<std::vector<storage::Rows>>([call, app_id](auto r) {
    if (!r) return call->fail(r.error());
    if (r->front().empty()) return call->fail(Errc::not_found, "no such app");
    storage::note_app_changed();
    answer_app(call, app_id, 200, "");
  }));
}

void admin_rotate_secret(const CallPtr& call) {
  if (!authenticate_admin(call)) return;
  const std::string& app_id = call->params.at(0);
  std::string secret = generate_secret();
  call->api.db->write({storage::rotate_secret(app_id, secret)},
                      call->resume<std::vector<storage::Rows>>([call, app_id, secret](auto r) {
                        if (!r) return call->fail(r.error());
                        if (r->front().empty()) return call->fail(Errc::not_found, "no such app");
                        storage::note_app_changed();
                        answer_app(call, app_id, 200, secret);
                      }));
}

}  // namespace unipay::handlers
