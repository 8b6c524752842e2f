#include "bench/provider_sim/google_play_json.hpp"

#include <ctime>

#include "bench/provider_sim/sim_json.hpp"
#include "net/json.hpp"

namespace unipay::sim {
namespace {

std::string_view status_name(int status) {
  switch (status) {
    case 400:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    default:
      return "FAILED_PRECONDITION";
  }
}

}  // namespace

std::string product_purchase_json(const GooglePurchase& p) {
  json::Writer out;
  out.begin_object().key("kind").string("androidpublisher#productPurchase");
  out.key("purchaseTimeMillis").string(std::to_string(p.purchase_time_ms));
  out.key("purchaseState").integer(p.purchase_state).key("consumptionState").integer(0);
  out.key("developerPayload").string("").key("orderId").string(p.order_id);
  out.key("purchaseType").integer(0);  // 0: a test purchase (license testers), as in sandbox
  out.key("acknowledgementState").integer(p.acknowledgement_state);
  out.key("productId").string(p.product_id).key("quantity").integer(1);
  if (!p.account_id.empty()) out.key("obfuscatedExternalAccountId").string(p.account_id);
  out.key("regionCode").string(p.region_code).end_object();
  return out.take();
}

http::Response google_error(int status, std::string_view message, std::string_view reason) {
  json::Writer out;
  out.begin_object().key("error").begin_object().key("code").integer(status).key("message").string(message);
  out.key("errors").begin_array().begin_object().key("message").string(message);
  out.key("domain").string("global").key("reason").string(reason).end_object().end_array();
  out.key("status").string(status_name(status)).end_object().end_object();
  return answer(status, out.take());
}

http::Response google_unauthenticated() {
  return google_error(401,
                      "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
                      "cookie or other valid authentication credential. See "
                      "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                      "authError");
}

std::string developer_notification_json(std::string_view type, const GooglePurchase& p, int64_t now_ms) {
  json::Writer out;
  out.begin_object().key("version").string("1.0").key("packageName").string(p.package_name);
  out.key("eventTimeMillis").string(std::to_string(now_ms));
  if (type == "purchased") {
    out.key("oneTimeProductNotification").begin_object().key("version").string("1.0");
    out.key("notificationType").integer(1).key("purchaseToken").string(p.token);
    out.key("sku").string(p.product_id).end_object();
  } else if (type == "voided") {
    out.key("voidedPurchaseNotification").begin_object().key("purchaseToken").string(p.token);
    out.key("orderId").string(p.order_id);
    out.key("productType").integer(2).key("refundType").integer(1).end_object();  // one-time, full
  } else {
    out.key("testNotification").begin_object().key("version").string("1.0").end_object();
  }
  out.end_object();
  return out.take();
}

std::string publish_time(int64_t now_ms) {
  const std::time_t seconds = now_ms / 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  char fraction[16];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", static_cast<int>(now_ms % 1000));
  std::string out = text;
  out += fraction;
  return out;
}

}  // namespace unipay::sim
