#include "net/wallet_json.hpp"

namespace unipay {

void write_account(json::Writer& out, const Account& a) {
  out.begin_object();
  out.key("account_id").string(a.account_id);
  out.key("unit").string(a.unit);
  out.key("balance").integer(a.balance_minor);
  out.key("held").integer(a.held_minor);
  out.key("available").integer(a.available_minor());
  out.key("frozen").boolean(a.frozen);
  out.key("version").integer(a.version);
  out.key("created_at").string(format_rfc3339_ms(a.created_at));
  out.key("updated_at").string(format_rfc3339_ms(a.updated_at));
  out.end_object();
}

void write_entry(json::Writer& out, const LedgerEntry& e) {
  out.begin_object();
  out.key("entry_id").integer(e.entry_id);
  out.key("op_id").string(e.op_id);
  out.key("kind").string(to_string(e.kind));
  out.key("amount").integer(e.amount_minor);
  out.key("balance_before").integer(e.balance_before_minor);
  out.key("balance_after").integer(e.balance_after_minor);
  out.key("hold_id");
  if (e.hold_id.empty()) {
    out.null();
  } else {
    out.string(e.hold_id);
  }
  out.key("reason").string(e.reason);
  out.key("info");
  if (e.info_json.empty()) {
    out.null();
  } else {
    out.raw(e.info_json);  // stored as the API serialised it
  }
  out.key("created_at").string(format_rfc3339_ms(e.created_at));
  out.end_object();
}

std::string entry_json(const LedgerEntry& entry) {
  json::Writer out;
  write_entry(out, entry);
  return out.take();
}

void write_hold(json::Writer& out, const Hold& h) {
  out.begin_object();
  out.key("hold_id").string(h.hold_id);
  out.key("account_id").string(h.account_id);
  out.key("amount").integer(h.amount_minor);
  out.key("captured_amount").integer(h.captured_minor);
  out.key("state").string(to_string(h.state));
  out.key("expires_at").string(format_rfc3339_ms(h.expires_at));
  out.end_object();
}

std::string account_envelope(const Account& account) {
  json::Writer out;
  out.begin_object().key("account");
  write_account(out, account);
  out.end_object();
  return out.take();
}

std::string op_result_json(const OpResult& r) {
  json::Writer out;
  out.begin_object();
  if (r.hold) {
    out.key("hold");
    write_hold(out, *r.hold);
  }
  if (r.entry) {
    out.key("entry");
    write_entry(out, *r.entry);
  }
  out.key("account");
  write_account(out, r.account);
  out.end_object();
  return out.take();
}

}  // namespace unipay
