// net/signing: DESIGN.md §3 request and response signatures, header shapes, the
// timestamp window, secret rotation and the sandbox channel signature.
//
// The known answers below were computed independently with the OpenSSL command line
// (BH: the body hash, itself from `printf '%s' "$BODY" | openssl dgst -sha256`):
//   printf 'POST\n/v1/bills\n1700000000\nn0nce_ABCDEFGH-123\n%s' "$BH" |
//     openssl dgst -sha256 -hmac 'app-secret-1'
//   printf 'GET\n/v1/bills?user_id=u1&state=paid&limit=10\n1700000123\nQueryNonce_0123456789\n%s'
//     "$EMPTY_BODY_HASH" | openssl dgst -sha256 -hmac 'app-secret-1'
//   printf '201\nn0nce_ABCDEFGH-123\n%s' "$RESPONSE_BODY_HASH" |
//     openssl dgst -sha256 -hmac 'app-secret-1'
//   printf '%s' "$SANDBOX_BODY" | openssl dgst -sha256 -hmac 'sandbox-secret'
#include "net/signing.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

namespace unipay::signing {
namespace {

constexpr std::string_view kSecret = "app-secret-1";
constexpr std::string_view kBody =
    R"({"user_id":"u1","item_id":"gem_100","channel":"sandbox","amount":100,"currency":"USD"})";
constexpr std::string_view kBodySha256 = "93da71217d1f86d11996469580585824c07cf1313a5355bba23bde53706b68b5";
constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kNonce = "n0nce_ABCDEFGH-123";
constexpr std::string_view kPostSignature =
    "ff5b3ba7cb27794634eb9dc59e8979ea1ba0a68e3d7e505f798b2f44bb98b759";
constexpr std::string_view kGetPath = "/v1/bills?user_id=u1&state=paid&limit=10";
constexpr std::string_view kGetNonce = "QueryNonce_0123456789";
constexpr std::string_view kGetSignature = "e30eb5bcaa1bcd21bcefca4964cb30c14868bbeb0c41a9ceb9ad5bf2ee4a79a4";

SignedHeaders post_headers(std::string_view signature = kPostSignature) {
  return SignedHeaders{"app_1", "1700000000", kNonce, signature};
}

// Proves the canonical text byte for byte: method, path with query, timestamp, nonce and
// the body's SHA-256, joined by single newlines with no trailing newline.
TEST(Signing, CanonicalRequestExactText) {
  EXPECT_EQ(canonical_request("POST", "/v1/bills", "1700000000", kNonce, kBody),
            "POST\n/v1/bills\n1700000000\nn0nce_ABCDEFGH-123\n" + std::string(kBodySha256));
  EXPECT_EQ(canonical_request("GET", kGetPath, "1700000123", kGetNonce, ""),
            "GET\n/v1/bills?user_id=u1&state=paid&limit=10\n1700000123\nQueryNonce_0123456789\n" +
                std::string(kEmptySha256));
}

// Proves sign_request matches signatures computed independently with openssl.
TEST(Signing, RequestSignatureKnownAnswers) {
  EXPECT_EQ(sign_request(kSecret, "POST", "/v1/bills", "1700000000", kNonce, kBody), kPostSignature);
  EXPECT_EQ(sign_request(kSecret, "GET", kGetPath, "1700000123", kGetNonce, ""), kGetSignature);
}

// Proves sign_response = HMAC(secret, STATUS "\n" NONCE "\n" hex(SHA-256(body))).
TEST(Signing, ResponseSignatureKnownAnswer) {
  const std::string response = R"({"bill":{"bill_id":"b_01ARZ3NDEKTSV4RRFFQ69G5FAV","state":"paid"}})";
  EXPECT_EQ(sign_response(kSecret, 201, kNonce, response),
            "73505ccbe6cc1e39f93afa1cb5278ac71b63456f4880002097310e3f245bc1bf");
  EXPECT_NE(sign_response(kSecret, 200, kNonce, response), sign_response(kSecret, 201, kNonce, response));
}

// Proves well-formed headers pass and each missing header is unauthorized, named.
TEST(Signing, HeaderShapeMissing) {
  EXPECT_TRUE(check_header_shape(post_headers()).ok());
  const std::pair<SignedHeaders, std::string> cases[] = {
      {{"", "1700000000", kNonce, kPostSignature}, "missing X-Unipay-App header"},
      {{"app_1", "", kNonce, kPostSignature}, "missing X-Unipay-Timestamp header"},
      {{"app_1", "1700000000", "", kPostSignature}, "missing X-Unipay-Nonce header"},
      {{"app_1", "1700000000", kNonce, ""}, "missing X-Unipay-Signature header"},
  };
  for (const auto& [headers, message] : cases) {
    auto status = check_header_shape(headers);
    ASSERT_FALSE(status.ok()) << message;
    EXPECT_EQ(status.error().code, Errc::unauthorized);
    EXPECT_EQ(status.error().message, message);
  }
}

// Proves malformed timestamps, nonces and signatures are unauthorized, and the exact
// edges (16 and 64 nonce characters, 19 timestamp digits) are accepted.
TEST(Signing, HeaderShapeMalformed) {
  auto shape_ok = [](std::string_view timestamp, std::string_view nonce, std::string_view sig) {
    auto status = check_header_shape(SignedHeaders{"app_1", timestamp, nonce, sig});
    if (!status.ok()) {
      EXPECT_EQ(status.error().code, Errc::unauthorized);
    }
    return status.ok();
  };
  const std::string n16(16, 'a'), n64(64, 'Z'), n15(15, 'a'), n65(65, 'a');
  EXPECT_TRUE(shape_ok("1", n16, kPostSignature));
  EXPECT_TRUE(shape_ok("1234567890123456789", n64, kPostSignature));
  EXPECT_TRUE(shape_ok("1700000000", "Az09_-Az09_-Az09", kPostSignature));
  for (std::string_view ts :
       {"-1700000000", "+1700000000", "1700000000.5", " 1700000000", "1e9", "12345678901234567890"}) {
    EXPECT_FALSE(shape_ok(ts, n16, kPostSignature)) << ts;
  }
  for (std::string_view nonce :
       {std::string_view(n15), std::string_view(n65), std::string_view("abcdefghijklmno="),
        std::string_view("abcdefgh ijklmnop"), std::string_view("abcdefghijklmn\xc3\xa9")}) {
    EXPECT_FALSE(shape_ok("1700000000", nonce, kPostSignature)) << nonce;
  }
  const std::string upper = "FF5B3BA7CB27794634EB9DC59E8979EA1BA0A68E3D7E505F798B2F44BB98B759";
  const std::string longer = std::string(kPostSignature) + "0";
  const std::string not_hex = "g" + std::string(63, '0');
  for (std::string_view sig : {std::string_view(upper), kPostSignature.substr(0, 63),
                               std::string_view(longer), std::string_view(not_hex)}) {
    EXPECT_FALSE(shape_ok("1700000000", n16, sig)) << sig;
  }
}

// Proves the ±300 s window is inclusive at both edges and 301 s either way is stale.
TEST(Signing, TimestampWindowEdges) {
  const int64_t now = 1700000000;
  EXPECT_TRUE(check_timestamp("1700000000", now, 300).ok());
  EXPECT_TRUE(check_timestamp("1699999700", now, 300).ok());  // 300 s old
  EXPECT_TRUE(check_timestamp("1700000300", now, 300).ok());  // 300 s ahead
  for (std::string_view ts : {"1699999699", "1700000301", "0", "9999999999999999999"}) {
    auto status = check_timestamp(ts, now, 300);
    ASSERT_FALSE(status.ok()) << ts;
    EXPECT_EQ(status.error().code, Errc::stale_timestamp) << ts;
  }
  EXPECT_EQ(check_timestamp("abc", now, 300).error().code, Errc::unauthorized);
  EXPECT_EQ(check_timestamp("", now, 300).error().code, Errc::unauthorized);
}

// Proves rotation: the current and the previous secret both verify; a third secret, an
// empty secret, a changed body, path, method or nonce do not.
TEST(Signing, VerifyWithRotatedSecrets) {
  const std::vector<std::string> current_first = {"app-secret-2", std::string(kSecret)};
  const std::vector<std::string> previous_first = {std::string(kSecret), "app-secret-0"};
  EXPECT_TRUE(verify_request(current_first, post_headers(), "POST", "/v1/bills", kBody).ok());
  EXPECT_TRUE(verify_request(previous_first, post_headers(), "POST", "/v1/bills", kBody).ok());
  const std::string by_new = sign_request("app-secret-2", "POST", "/v1/bills", "1700000000", kNonce, kBody);
  EXPECT_TRUE(verify_request(current_first, post_headers(by_new), "POST", "/v1/bills", kBody).ok());

  auto refused = [](const Status& status) {
    return !status.ok() && status.error().code == Errc::bad_signature;
  };
  const std::vector<std::string> others = {"app-secret-3", ""};
  EXPECT_TRUE(refused(verify_request(others, post_headers(), "POST", "/v1/bills", kBody)));
  EXPECT_TRUE(refused(verify_request({}, post_headers(), "POST", "/v1/bills", kBody)));
  const std::string by_empty = sign_request("", "POST", "/v1/bills", "1700000000", kNonce, kBody);
  EXPECT_TRUE(refused(verify_request({""}, post_headers(by_empty), "POST", "/v1/bills", kBody)));
  EXPECT_TRUE(refused(verify_request(current_first, post_headers(), "POST", "/v1/bills", "{}")));
  EXPECT_TRUE(refused(verify_request(current_first, post_headers(), "POST", "/v1/bills?x=1", kBody)));
  EXPECT_TRUE(refused(verify_request(current_first, post_headers(), "PUT", "/v1/bills", kBody)));
  SignedHeaders other_nonce = post_headers();
  other_nonce.nonce = "n0nce_ABCDEFGH-124";
  EXPECT_TRUE(refused(verify_request(current_first, other_nonce, "POST", "/v1/bills", kBody)));
}

// Proves the sandbox signature is hex HMAC-SHA256(secret, raw body), and that a wrong
// secret, body, an empty secret or a malformed signature are refused.
TEST(Signing, SandboxSignature) {
  const std::string body = R"({"bill_id":"b_01ARZ3NDEKTSV4RRFFQ69G5FAV","status":"success","amount":100})";
  const std::string good = "df2691a197fa294167d2402f36c92e9cdf5cc54e06a12ab0f8519e9c0dd0c0d8";
  EXPECT_TRUE(verify_sandbox_signature("sandbox-secret", body, good));
  EXPECT_FALSE(verify_sandbox_signature("sandbox-secreT", body, good));
  EXPECT_FALSE(verify_sandbox_signature("sandbox-secret", body + " ", good));
  EXPECT_FALSE(
      verify_sandbox_signature("", "", "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"));
  EXPECT_FALSE(verify_sandbox_signature("sandbox-secret", body, ""));
  std::string upper = good;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_FALSE(verify_sandbox_signature("sandbox-secret", body, upper));
}

}  // namespace
}  // namespace unipay::signing
