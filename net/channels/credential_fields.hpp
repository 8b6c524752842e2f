// Reading a channel's credentials object field by field while collecting every problem, so
// the admin sees all of them in one answer: "channels.alipay: app_id is required;
// alipay_public_key: not an RSA key".
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/result.hpp"
#include "net/crypto_rsa.hpp"
#include "net/json.hpp"

namespace unipay::channels {

inline constexpr size_t kMaxCredentialIdBytes = 128;     // app ids, merchant ids, serials
inline constexpr size_t kMaxCredentialKeyBytes = 16384;  // a PEM key or certificate

class CredentialReader {
 public:
  CredentialReader(std::string_view channel, const json::Value& fields);

  // A required non-empty string of at most max_bytes ("" after recording a problem).
  std::string text(std::string_view key, size_t max_bytes = kMaxCredentialIdBytes);
  std::optional<crypto::RsaPublicKey> public_key(std::string_view key);
  std::optional<crypto::RsaPrivateKey> private_key(std::string_view key);
  // A required object (nullptr after recording a problem).
  const json::Value* object(std::string_view key);

  void problem(std::string message);
  // Records each member not in `known` (a misspelt field would otherwise be silently unused).
  void refuse_unknown(std::initializer_list<std::string_view> known);
  // ok, or invalid_parameter "channels.<channel>: <problem>; <problem>".
  Status finish() const;

  // Parses a key given as PEM or base64 DER, naming `label` in the problem.
  std::optional<crypto::RsaPublicKey> public_key_text(std::string_view label, const json::Value& value);

 private:
  const json::Value* required(std::string_view key, json::Value::Kind kind, std::string_view what);
  std::string channel_;
  const json::Value& fields_;
  std::vector<std::string> problems_;
};

}  // namespace unipay::channels
