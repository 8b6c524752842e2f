#include "net/channels/alipay_provider.hpp"

#include <cstdlib>

#include "net/base64.hpp"
#include "net/channels/alipay_format.hpp"
#include "net/json.hpp"

namespace unipay::channels::alipay {
namespace {

std::string sign_or_abort(const crypto::RsaPrivateKey& key, std::string_view content) {
  auto signature = key.sign_sha256(content);
  if (!signature) std::abort();  // OpenSSL out of memory: a simulator has no way on
  return base64::encode(*signature);
}

}  // namespace

std::string sign_notification(form::Fields fields, const crypto::RsaPrivateKey& alipay_key,
                              bool signed_with_sign_type) {
  fields.emplace_back("sign_type", std::string(kSignType));
  const std::string sign = sign_or_abort(alipay_key, sign_content(fields, signed_with_sign_type));
  fields.emplace_back("sign", sign);
  return form::encode(fields);
}

std::string signed_gateway_answer(std::string_view method, std::string_view response_json,
                                  const crypto::RsaPrivateKey& alipay_key) {
  std::string out = "{";
  json::append_quoted(out, response_key(method));
  out += ':';
  out += response_json;
  out += ",\"sign\":";
  json::append_quoted(out, sign_or_abort(alipay_key, response_json));
  out += '}';
  return out;
}

Status verify_gateway_request(const form::Fields& fields, const crypto::RsaPublicKey& app_public_key) {
  const std::string* sign = form::find(fields, "sign");
  const std::string* sign_type = form::find(fields, "sign_type");
  if (!sign || !sign_type || *sign_type != kSignType) {
    return make_error(Errc::bad_signature, "sign and sign_type=RSA2 are required");
  }
  auto raw = base64::decode(*sign);
  if (!raw || !app_public_key.verify_sha256(sign_content(fields, true), *raw)) {
    return make_error(Errc::bad_signature, "the request's sign does not verify");
  }
  return ok_status();
}

}  // namespace unipay::channels::alipay
