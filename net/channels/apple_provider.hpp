// Apple's side of StoreKit 2 signed data, for the provider simulator and tests: a test PKI
// made at run time (root, intermediate and leaf P-256 certificates carrying Apple's marker
// OIDs) and ES256 JWS signed with its leaf and an x5c header, as the App Store signs
// transactions and notifications. unipayd does not use this.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/result.hpp"
#include "net/channels/jose.hpp"

namespace unipay::channels::apple {

struct TestPki {
  std::string root_pem;          // what an app configures in root_certificates
  std::vector<std::string> x5c;  // base64 DER: leaf, intermediate, root
  jose::EcPrivateKey leaf_key = jose::EcPrivateKey::generate();
};

// Certificates valid from not_before_s to not_after_s. with_markers false leaves Apple's
// OIDs out (a chain the adapter must refuse).
TestPki make_test_pki(int64_t not_before_s, int64_t not_after_s, bool with_markers = true);

// {"alg":"ES256","x5c":[...]} . payload . signature, signed by the PKI's leaf.
Result<std::string> sign_signed_data(std::string_view payload_json, const TestPki& pki);

}  // namespace unipay::channels::apple
