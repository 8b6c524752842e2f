// Shared by the channel tests: the copied provider vectors (tests/data/vectors, from
// shared/vectors), run-time RSA keys (made once per process: keygen is slow) and small
// builders for credentials and callbacks.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "net/channels/channel_adapter.hpp"
#include "net/crypto_rsa.hpp"
#include "net/json.hpp"

namespace unipay::channels::testing {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string vector_path(const std::string& relative) {
  return std::string(UNIPAY_SOURCE_DIR) + "/tests/data/vectors/" + relative;
}

inline json::Value read_json(const std::string& path) {
  auto parsed = json::parse(read_file(path));
  EXPECT_TRUE(parsed.ok()) << path;
  return parsed ? std::move(*parsed) : json::Value{};
}

// Distinct keys per role so "signed by another key" is really another key.
enum class KeyRole {
  alipay_platform,
  alipay_app,
  wechat_platform,
  wechat_platform_2,
  wechat_merchant,
  stranger
};

inline const crypto::RsaPrivateKey& key(KeyRole role) {
  static const std::vector<crypto::RsaPrivateKey> keys = [] {
    std::vector<crypto::RsaPrivateKey> made;
    for (int i = 0; i < 6; ++i) made.push_back(crypto::RsaPrivateKey::generate(2048));
    return made;
  }();
  return keys.at(static_cast<size_t>(role));
}

inline json::Value object(std::initializer_list<std::pair<std::string, json::Value>> members) {
  json::Value v;
  v.kind = json::Value::Kind::object;
  for (const auto& m : members) v.members.push_back(m);
  return v;
}

inline json::Value string_value(std::string text) {
  json::Value v;
  v.kind = json::Value::Kind::string;
  v.string = std::move(text);
  return v;
}

// Parses credentials through the adapter, failing the test on an error.
inline CredentialsPtr credentials_for(const ChannelAdapter& adapter, const json::Value& fields) {
  auto parsed = adapter.parse_credentials(fields);
  EXPECT_TRUE(parsed.ok()) << (parsed ? "" : parsed.error().message);
  return parsed ? *parsed : CredentialsPtr();
}

inline Result<ProviderResult> verify(const ChannelAdapter& adapter, const CredentialsPtr& credentials,
                                     const std::vector<http::Header>& headers, std::string_view body,
                                     int64_t now_s) {
  static const ProviderUrls urls;
  ChannelContext context{credentials, urls, now_s};
  auto step = adapter.verify_callback(context, CallbackInput{headers, body, {}});
  EXPECT_TRUE(step.done()) << "a callback of this channel needs no provider call";
  return step.done() ? std::move(step).result() : make_error(Errc::server_busy, "not done");
}

}  // namespace unipay::channels::testing
