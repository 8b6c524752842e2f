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

// The body POSTed to the game server: {"event","delivery_id","attempt","bill"} (event per
// delivery_event),
// and for a recharge bill "ledger_entry": the wallet credit it made (already serialised).
std::string delivery_body(const Bill& bill, const std::string& delivery_id, int attempt,
                          const std::string& ledger_entry_json = "");

// Stable per bill and event across attempts (DESIGN.md §7.9).
std::string delivery_id_for(const std::string& bill_id, BillState state = BillState::paid);

// The event a delivery carries, named by the bill's state: "bill.refunded" for a refunded
// bill, "bill.paid" otherwise. One delivery job per bill carries whichever is due now, so
// a bill refunded before its bill.paid got a 2xx is sent bill.refunded only.
std::string_view delivery_event(BillState state);

}  // namespace unipay
