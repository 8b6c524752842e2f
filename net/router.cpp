#include "net/router.hpp"

#include "net/handlers/handlers.hpp"
#include "net/http_errors.hpp"

namespace unipay {
namespace {

struct Route {
  std::string_view method;
  std::string_view pattern;
  void (*handler)(const CallPtr&);
};

constexpr Route kRoutes[] = {
    {"POST", "/v1/bills", handlers::create_bill},
    {"GET", "/v1/bills", handlers::list_bills},
    {"GET", "/v1/bills/{}", handlers::get_bill},
    {"GET", "/v1/bills/{}/result", handlers::wait_bill},
    {"POST", "/v1/bills/{}/close", handlers::close_bill},
    {"POST", "/v1/bills/{}/verify", handlers::verify_bill},
    {"POST", "/v1/callbacks/{}/{}", handlers::provider_callback},
    {"POST", "/v1/admin/apps", handlers::admin_create_app},
    {"GET", "/v1/admin/apps/{}", handlers::admin_get_app},
    {"PUT", "/v1/admin/apps/{}", handlers::admin_update_app},
    {"POST", "/v1/admin/apps/{}/rotate-secret", handlers::admin_rotate_secret},
    {"GET", "/v1/admin/bills/{}/deliveries", handlers::admin_list_bill_deliveries},
    {"GET", "/v1/admin/deliveries", handlers::admin_list_deliveries},
    {"POST", "/v1/admin/deliveries/{}/replay", handlers::admin_replay_delivery},
    {"POST", "/v1/admin/bills/{}/refund", handlers::admin_refund_bill},
    {"GET", "/v1/reconciliation/ledger", handlers::ledger_reconciliation},
    {"GET", "/v1/statements/{}", handlers::daily_statement},
    {"GET", "/v1/statements/{}/settlement", handlers::monthly_settlement},
    {"GET", "/v1/reports/channels", handlers::channel_report},
    {"PUT", "/v1/accounts/{}", handlers::put_account},
    {"GET", "/v1/accounts/{}", handlers::get_account},
    {"GET", "/v1/accounts/{}/ledger", handlers::get_ledger},
    {"POST", "/v1/accounts/{}/credit", handlers::credit_account},
    {"POST", "/v1/accounts/{}/debit", handlers::debit_account},
    {"POST", "/v1/accounts/{}/holds", handlers::create_hold},
    {"POST", "/v1/holds/{}/capture", handlers::capture_hold},
    {"POST", "/v1/holds/{}/void", handlers::void_hold},
    {"POST", "/v1/admin/apps/{}/accounts/{}/freeze", handlers::admin_freeze_account},
    {"POST", "/v1/admin/apps/{}/accounts/{}/unfreeze", handlers::admin_unfreeze_account},
    {"GET", "/healthz", handlers::healthz},
    {"GET", "/readyz", handlers::readyz},
    {"GET", "/metrics", handlers::metrics},
};

std::string_view next_segment(std::string_view& rest) {
  size_t slash = rest.find('/');
  std::string_view segment = rest.substr(0, slash);
  rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  return segment;
}

}  // namespace

bool match_route(std::string_view pattern, std::string_view path, std::vector<std::string>& params) {
  params.clear();
  if (pattern.empty() || path.empty() || pattern[0] != '/' || path[0] != '/') return false;
  pattern.remove_prefix(1);
  path.remove_prefix(1);
  while (!pattern.empty() || !path.empty()) {
    if (pattern.empty() || path.empty()) return false;
    std::string_view want = next_segment(pattern);
    std::string_view have = next_segment(path);
    if (want == "{}") {
      if (have.empty()) return false;
      params.emplace_back(have);
    } else if (want != have) {
      return false;
    }
  }
  return true;
}

http::RequestHandler make_router(const Api& api) {
  return [&api](http::Request request, http::Responder respond) {
    auto call = std::make_shared<Call>(api, std::move(request), std::move(respond));
    bool path_known = false;
    for (const Route& route : kRoutes) {
      if (!match_route(route.pattern, call->request.path, call->params)) continue;
      path_known = true;
      if (route.method == call->request.method) return route.handler(call);
    }
    if (path_known) {
      http::Response response =
          http::error_response(make_error(Errc::invalid_parameter, "method not allowed"));
      response.status = 405;
      return call->reply(std::move(response));
    }
    call->fail(Errc::not_found, "no such route");
  };
}

}  // namespace unipay
