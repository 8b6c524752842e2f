// The x5c certificate chain of an App Store signed object (JWS header), verified the way
// Apple's App Store Server Library does with online checks off: exactly three certificates
// (leaf, intermediate, root as sent); the intermediate must be issued by one of the app's
// configured roots (the root sent in x5c is not trusted), the leaf by the intermediate; the
// leaf carries Apple's marker OID 1.2.840.113635.100.6.11.1 and the intermediate
// 1.2.840.113635.100.6.2.1; every certificate is valid at the given time (the JWS's own
// signedDate, so a transaction signed years ago still verifies). OpenSSL 3 X509_STORE.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/result.hpp"
#include "net/channels/jose.hpp"

struct x509_store_st;

namespace unipay::channels::apple {

inline constexpr size_t kMaxRootCertificates = 8;
inline constexpr size_t kChainLength = 3;

class TrustedRoots {
 public:
  // Each text a PEM certificate or the base64 of its DER (as Apple's .cer files hold it).
  // invalid_parameter naming the first that does not parse, or for 0 or too many.
  static Result<TrustedRoots> parse(const std::vector<std::string>& texts);

  // The leaf's key when `x5c` (base64 DER certificates, leaf first) passes the rules above at
  // unix time at_s; bad_signature saying which rule failed otherwise.
  Result<jose::EcPublicKey> verify_chain(const std::vector<std::string>& x5c, int64_t at_s) const;

 private:
  explicit TrustedRoots(std::shared_ptr<x509_store_st> store) : store_(std::move(store)) {}
  std::shared_ptr<x509_store_st> store_;  // read-only after parse: safe to share
};

}  // namespace unipay::channels::apple
