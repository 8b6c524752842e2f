// Alipay's side of the protocol, for the provider simulator and tests: sign notifications
// and gateway answers as Alipay does, and check a merchant's signed gateway request. Keys
// are made at run time (crypto::RsaPrivateKey::generate); nothing here is used by unipayd.
#pragma once

#include <string>
#include <string_view>

#include "config/result.hpp"
#include "net/channels/form.hpp"
#include "net/crypto_rsa.hpp"

namespace unipay::channels::alipay {

// The form body of a notification with `fields` (no sign/sign_type), sign_type=RSA2 and the
// RSA2 sign. signed_with_sign_type picks the canonical form (trade_status_sync notifications
// are signed without it; others, e.g. servicemarket ones, with it).
std::string sign_notification(form::Fields fields, const crypto::RsaPrivateKey& alipay_key,
                              bool signed_with_sign_type = false);

// {"<method>_response":<response_json>,"sign":"..."}: the gateway's signed answer.
std::string signed_gateway_answer(std::string_view method, std::string_view response_json,
                                  const crypto::RsaPrivateKey& alipay_key);

// bad_signature unless the request's sign verifies over its fields with sign_type kept.
Status verify_gateway_request(const form::Fields& fields, const crypto::RsaPublicKey& app_public_key);

}  // namespace unipay::channels::alipay
