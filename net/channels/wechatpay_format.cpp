#include "net/channels/wechatpay_format.hpp"

#include <array>

namespace unipay::channels::wechatpay {

std::string signed_message(std::string_view timestamp, std::string_view nonce, std::string_view body) {
  std::string out;
  out.reserve(timestamp.size() + nonce.size() + body.size() + 3);
  out.append(timestamp).append("\n").append(nonce).append("\n").append(body).append("\n");
  return out;
}

std::string request_message(std::string_view method, std::string_view path_with_query,
                            std::string_view timestamp, std::string_view nonce, std::string_view body) {
  std::string out(method);
  out.append("\n").append(path_with_query).append("\n");
  return out + signed_message(timestamp, nonce, body);
}

std::string app_pay_message(std::string_view appid, std::string_view timestamp, std::string_view noncestr,
                            std::string_view prepayid) {
  std::string out(appid);
  out.append("\n").append(timestamp).append("\n").append(noncestr).append("\n").append(prepayid).append("\n");
  return out;
}

std::string format_authorization(const Authorization& a) {
  std::string out(kAuthorizationScheme);
  out += " mchid=\"" + a.mchid + "\",nonce_str=\"" + a.nonce_str + "\",timestamp=\"" + a.timestamp +
         "\",serial_no=\"" + a.serial_no + "\",signature=\"" + a.signature + "\"";
  return out;
}

Result<Authorization> parse_authorization(std::string_view header) {
  auto malformed = [] {
    return make_error(Errc::unauthorized, "malformed WECHATPAY2-SHA256-RSA2048 Authorization");
  };
  if (header.substr(0, kAuthorizationScheme.size()) != kAuthorizationScheme) return malformed();
  std::string_view rest = header.substr(kAuthorizationScheme.size());
  if (rest.empty() || rest[0] != ' ') return malformed();
  rest.remove_prefix(1);
  Authorization a;
  const std::array<std::pair<std::string_view, std::string*>, 5> fields = {{{"mchid", &a.mchid},
                                                                            {"nonce_str", &a.nonce_str},
                                                                            {"timestamp", &a.timestamp},
                                                                            {"serial_no", &a.serial_no},
                                                                            {"signature", &a.signature}}};
  while (!rest.empty()) {
    const size_t eq = rest.find("=\"");
    if (eq == std::string_view::npos) return malformed();
    const std::string_view name = rest.substr(0, eq);
    const size_t close = rest.find('"', eq + 2);
    if (close == std::string_view::npos) return malformed();
    const std::string_view value = rest.substr(eq + 2, close - eq - 2);
    bool known = false;
    for (const auto& [field, target] : fields) {
      if (field != name) continue;
      if (!target->empty()) return malformed();  // given twice
      *target = std::string(value);
      known = true;
    }
    if (!known) return malformed();
    rest = rest.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ',') return malformed();
      rest.remove_prefix(1);
    }
  }
  for (const auto& field : fields) {
    if (field.second->empty()) return malformed();
  }
  return a;
}

std::string_view url_path(std::string_view url) {
  const size_t scheme = url.find("://");
  const size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  const size_t slash = url.find('/', start);
  return slash == std::string_view::npos ? std::string_view{} : url.substr(slash);
}

}  // namespace unipay::channels::wechatpay
