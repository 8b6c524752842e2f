#include "net/bill_json.hpp"

namespace unipay {

void optional_time(json::Writer& out, std::string_view name, const std::optional<Millis>& t) {
  out.key(name);
  if (t) {
    out.string(format_rfc3339_ms(*t));
  } else {
    out.null();
  }
}

void write_bill(json::Writer& out, const Bill& bill) {
  out.begin_object();
  out.key("bill_id").string(bill.bill_id);
  out.key("app_id").string(bill.app_id);
  out.key("user_id").string(bill.user_id);
  out.key("item_id").string(bill.item_id);
  out.key("channel").string(bill.channel);
  out.key("bill_type").string(to_string(bill.bill_type));
  out.key("amount").integer(bill.amount_minor);
  out.key("currency").string(bill.currency);
  out.key("coins").integer(bill.coins);
  out.key("passinfo").string(bill.passinfo);
  out.key("os").string(bill.os);
  out.key("app_version").string(bill.app_version);
  out.key("sdk_version").string(bill.sdk_version);
  out.key("map_user_id").string(bill.map_user_id);
  out.key("extra").raw(bill.extra_json.empty() ? "{}" : bill.extra_json);
  out.key("state").string(to_string(bill.state));
  out.key("version").integer(bill.version);
  out.key("provider_trade_no");
  if (bill.provider_trade_no.empty()) {
    out.null();
  } else {
    out.string(bill.provider_trade_no);
  }
  out.key("created_at").string(format_rfc3339_ms(bill.created_at));
  optional_time(out, "paid_at", bill.paid_at);
  optional_time(out, "delivered_at", bill.delivered_at);
  out.key("expires_at").string(format_rfc3339_ms(bill.expires_at));
  out.key("late_payment").boolean(bill.late_payment);
  out.end_object();
}

std::string bill_json(const Bill& bill) {
  json::Writer out;
  write_bill(out, bill);
  return out.take();
}

std::string delivery_body(const Bill& bill, const std::string& delivery_id, int attempt,
                          const std::string& ledger_entry_json) {
  json::Writer out;
  out.begin_object();
  out.key("event").string(delivery_event(bill.state));
  out.key("delivery_id").string(delivery_id);
  out.key("attempt").integer(attempt);
  out.key("bill");
  write_bill(out, bill);
  if (!ledger_entry_json.empty()) out.key("ledger_entry").raw(ledger_entry_json);
  out.end_object();
  return out.take();
}

std::string delivery_id_for(const std::string& bill_id, BillState state) {
  // "b_XXXX" → "d_XXXX" (bill.paid) or "r_XXXX" (bill.refunded): derived, so every attempt
  // and every node agree without storing it, and a game server that deduplicates on
  // delivery_id never takes the refund for a repeat of the payment.
  std::string id = state == BillState::refunded ? "r_" : "d_";
  id += bill_id.size() > 2 ? bill_id.substr(2) : bill_id;
  return id;
}

std::string_view delivery_event(BillState state) {
  return state == BillState::refunded ? "bill.refunded" : "bill.paid";
}

}  // namespace unipay
