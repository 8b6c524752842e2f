#include "net/channels/credential_fields.hpp"

namespace unipay::channels {

CredentialReader::CredentialReader(std::string_view channel, const json::Value& fields)
    : channel_(channel), fields_(fields) {
  if (!fields.is_object()) problem("must be an object");
}

const json::Value* CredentialReader::required(std::string_view key, json::Value::Kind kind,
                                              std::string_view what) {
  if (!fields_.is_object()) return nullptr;
  const json::Value* value = fields_.find(key);
  if (!value || value->kind == json::Value::Kind::null) {
    problem(std::string(key) + " is required");
    return nullptr;
  }
  if (value->kind != kind) {
    problem(std::string(key) + " must be " + std::string(what));
    return nullptr;
  }
  return value;
}

std::string CredentialReader::text(std::string_view key, size_t max_bytes) {
  const json::Value* value = required(key, json::Value::Kind::string, "a string");
  if (!value) return {};
  if (value->string.empty() || value->string.size() > max_bytes) {
    problem(std::string(key) + " must be 1 to " + std::to_string(max_bytes) + " bytes");
    return {};
  }
  return value->string;
}

std::optional<crypto::RsaPublicKey> CredentialReader::public_key_text(std::string_view label,
                                                                      const json::Value& value) {
  if (value.kind != json::Value::Kind::string || value.string.size() > kMaxCredentialKeyBytes) {
    problem(std::string(label) + " must be a PEM string of at most " +
            std::to_string(kMaxCredentialKeyBytes) + " bytes");
    return std::nullopt;
  }
  auto key = crypto::RsaPublicKey::parse(value.string);
  if (!key) {
    problem(std::string(label) + ": " + key.error().message);
    return std::nullopt;
  }
  return *key;
}

std::optional<crypto::RsaPublicKey> CredentialReader::public_key(std::string_view key) {
  const json::Value* value = required(key, json::Value::Kind::string, "a PEM string");
  return value ? public_key_text(key, *value) : std::nullopt;
}

std::optional<crypto::RsaPrivateKey> CredentialReader::private_key(std::string_view key) {
  const json::Value* value = required(key, json::Value::Kind::string, "a PEM string");
  if (!value) return std::nullopt;
  if (value->string.size() > kMaxCredentialKeyBytes) {
    problem(std::string(key) + " is longer than " + std::to_string(kMaxCredentialKeyBytes) + " bytes");
    return std::nullopt;
  }
  auto parsed = crypto::RsaPrivateKey::parse(value->string);
  if (!parsed) {
    problem(std::string(key) + ": " + parsed.error().message);
    return std::nullopt;
  }
  return *parsed;
}

const json::Value* CredentialReader::object(std::string_view key) {
  return required(key, json::Value::Kind::object, "an object");
}

void CredentialReader::problem(std::string message) { problems_.push_back(std::move(message)); }

void CredentialReader::refuse_unknown(std::initializer_list<std::string_view> known) {
  for (const auto& [name, value] : fields_.members) {
    bool listed = false;
    for (auto k : known) listed = listed || k == name;
    if (!listed) problem("unknown field " + name);
  }
}

Status CredentialReader::finish() const {
  if (problems_.empty()) return ok_status();
  std::string message = "channels." + channel_ + ": ";
  for (size_t i = 0; i < problems_.size(); ++i) {
    if (i > 0) message += "; ";
    message += problems_[i];
  }
  return make_error(Errc::invalid_parameter, std::move(message));
}

}  // namespace unipay::channels
