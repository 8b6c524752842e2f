// The public JSON form of a bill (API answers, deliveries to game servers).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "net/json.hpp"
#include "storage/bill.hpp"

namespace unipay {

// Writes `"name": "<RFC 3339 ms time>"`, or `"name": null` for none.
void optional_time(json::Writer& out, std::string_view name, const std::optional<Millis>& t);

// Writes the bill object: every field of DESIGN.md §2 except the client token hash.
void write_bill(json::Writer& out, const Bill& bill);
std::string bill_json(const Bill& bill);

// The body POSTed to the game server: {"event":"bill.paid","delivery_id","attempt","bill"},
// and for a recharge bill "ledger_entry": the wallet credit it made (already serialised).
std::string delivery_body(const Bill& bill, const std::string& delivery_id, int attempt,
                          const std::string& ledger_entry_json = "");

// Stable per bill across attempts (DESIGN.md §7.9).
std::string delivery_id_for(const std::string& bill_id);

}  // namespace unipay
