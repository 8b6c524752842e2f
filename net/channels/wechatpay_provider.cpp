#include "net/channels/wechatpay_provider.hpp"

#include <charconv>
#include <cstdlib>

#include "net/aead.hpp"
#include "net/base64.hpp"
#include "net/channels/provider_time.hpp"
#include "net/channels/wechatpay_format.hpp"
#include "net/json.hpp"

namespace unipay::channels::wechatpay {

std::vector<http::Header> sign_message(const PlatformSigner& signer, int64_t timestamp_s,
                                       std::string_view nonce, std::string_view body) {
  const std::string timestamp = std::to_string(timestamp_s);
  auto signature = signer.key.sign_sha256(signed_message(timestamp, nonce, body));
  if (!signature) std::abort();  // OpenSSL out of memory: a simulator has no way on
  return {{std::string(kTimestampHeader), timestamp},
          {std::string(kNonceHeader), std::string(nonce)},
          {std::string(kSerialHeader), signer.serial},
          {std::string(kSignatureHeader), base64::encode(*signature)}};
}

Result<std::string> encrypt_resource(std::string_view apiv3_key, std::string_view original_type,
                                     std::string_view plaintext, std::string_view nonce,
                                     std::string_view associated_data) {
  auto ciphertext = crypto::aes_gcm_encrypt(apiv3_key, nonce, associated_data, plaintext);
  if (!ciphertext) return ciphertext.error();
  json::Writer out;
  out.begin_object();
  out.key("original_type").string(original_type);
  out.key("algorithm").string("AEAD_AES_256_GCM");
  out.key("ciphertext").string(base64::encode(*ciphertext));
  out.key("associated_data").string(associated_data);
  out.key("nonce").string(nonce);
  out.end_object();
  return out.take();
}

std::string notification_body(std::string_view id, std::string_view event_type,
                              std::string_view resource_json, int64_t created_s) {
  json::Writer out;
  out.begin_object();
  out.key("id").string(id);
  out.key("create_time").string(format_beijing_time(created_s, "%Y-%m-%dT%H:%M:%S+08:00"));
  out.key("resource_type").string("encrypt-resource");
  out.key("event_type").string(event_type);
  out.key("summary").string(event_type == "TRANSACTION.SUCCESS" ? "支付成功" : "通知");
  out.key("resource").raw(resource_json);
  out.end_object();
  return out.take();
}

Status verify_merchant_request(std::string_view authorization, std::string_view method,
                               std::string_view path_with_query, std::string_view body,
                               const crypto::RsaPublicKey& merchant_key, std::string_view mchid,
                               std::string_view merchant_serial, int64_t now_s) {
  auto a = parse_authorization(authorization);
  if (!a) return a.error();
  if (a->mchid != mchid || a->serial_no != merchant_serial) {
    return make_error(Errc::unauthorized, "Authorization names another mchid or serial_no");
  }
  int64_t sent_s = 0;
  auto [end, ec] = std::from_chars(a->timestamp.data(), a->timestamp.data() + a->timestamp.size(), sent_s);
  if (ec != std::errc() || end != a->timestamp.data() + a->timestamp.size() ||
      sent_s > now_s + kTimestampWindowS || sent_s < now_s - kTimestampWindowS) {
    return make_error(Errc::stale_timestamp, "Authorization timestamp is more than 300 s off");
  }
  auto raw = base64::decode(a->signature);
  if (!raw || !merchant_key.verify_sha256(
                  request_message(method, path_with_query, a->timestamp, a->nonce_str, body), *raw)) {
    return make_error(Errc::bad_signature, "Authorization signature does not verify");
  }
  return ok_status();
}

}  // namespace unipay::channels::wechatpay
