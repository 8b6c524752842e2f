#include "net/channels/stripe_provider.hpp"

#include "net/crypto.hpp"

namespace unipay::channels::stripe {

std::string signature_header(std::string_view webhook_secret, int64_t timestamp_s, std::string_view body) {
  const std::string timestamp = std::to_string(timestamp_s);
  std::string signed_payload = timestamp;
  signed_payload += '.';
  signed_payload += body;
  std::string header = "t=";
  header += timestamp;
  header += ",v1=";
  header += crypto::hmac_sha256_hex(webhook_secret, signed_payload);
  return header;
}

}  // namespace unipay::channels::stripe
