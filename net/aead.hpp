// AES-GCM as WeChat Pay API v3 uses it for notification resources: the key's length picks
// AES-128/192/256 (production APIv3 keys are 32 bytes; the official test vector's is 16),
// the 16-byte tag follows the ciphertext. Encryption is for the provider simulators and tests.
#pragma once

#include <string>
#include <string_view>

#include "config/result.hpp"

namespace unipay::crypto {

inline constexpr size_t kGcmTagBytes = 16;

// ciphertext || tag. invalid_parameter for a key that is not 16, 24 or 32 bytes or an empty nonce.
Result<std::string> aes_gcm_encrypt(std::string_view key, std::string_view nonce, std::string_view aad,
                                    std::string_view plaintext);

// The plaintext; bad_signature when the tag does not authenticate (wrong key, nonce, aad or
// a changed byte), invalid_parameter for a malformed key, nonce or a text shorter than the tag.
Result<std::string> aes_gcm_decrypt(std::string_view key, std::string_view nonce, std::string_view aad,
                                    std::string_view ciphertext_and_tag);

}  // namespace unipay::crypto
