// Apple's appAccountToken for a bill: the bill id's 128 bits (the 26 Crockford base32
// characters after "b_": 48-bit time, 80 random bits) written as a UUID, so a signed
// transaction names its bill without a lookup and the mapping needs no storage. StoreKit
// takes the token at purchase (Product.PurchaseOption.appAccountToken) and Apple signs it
// into the transaction.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace unipay::channels {

// "b_01HZ..." → "0188ffff-...-..." (lowercase, 8-4-4-4-12); nullopt when not a bill id.
std::optional<std::string> app_account_token(std::string_view bill_id);
// The inverse (upper- or lowercase hex); nullopt when not a UUID or not of a bill id's range.
std::optional<std::string> bill_id_from_app_account_token(std::string_view token);

}  // namespace unipay::channels
