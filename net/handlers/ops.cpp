// /healthz (process up), /readyz (database reachable, migrations applied), /metrics.
#include "net/handlers/handlers.hpp"

namespace unipay::handlers {

void healthz(const CallPtr& call) { call->reply(200, R"({"status":"ok"})"); }

void readyz(const CallPtr& call) {
  // The check blocks on libpq, so it runs on a storage reader thread via Database::read.
  call->api.db->read({"SELECT 1", {}}, call->resume<storage::Rows>([call](Result<storage::Rows> r) {
    if (!r || !call->api.ready()) return call->reply(503, R"({"status":"not ready"})");
    call->reply(200, R"({"status":"ready"})");
  }));
}

void metrics(const CallPtr& call) {
  http::Response response;
  response.content_type = "text/plain; version=0.0.4";
  response.body = render_metrics(*call->api.metrics, call->api.db->stats());
  call->reply(std::move(response));
}

}  // namespace unipay::handlers
