#include "actors/bill_rules.hpp"

#include <optional>
#include <string>

namespace unipay {
namespace {

Decision applying(BillState next, std::string reason) {
  Decision d;
  d.verdict = Verdict::apply;
  d.next = next;
  d.reason = std::move(reason);
  return d;
}

Decision ignoring(std::string reason) {
  Decision d;
  d.verdict = Verdict::ignore;
  d.reason = std::move(reason);
  return d;
}

Decision refusing(Errc code, std::string reason) {
  Decision d;
  d.verdict = Verdict::refuse;
  d.refusal = code;
  d.reason = std::move(reason);
  return d;
}

bool is_settled_paid(BillState s) {
  return s == BillState::paid || s == BillState::delivered || s == BillState::refunded;
}

// Money that does not match the bill is never accepted, whatever the state. An app store's
// price is its storefront's, not the bill's: the item it sold is what must match.
std::optional<Decision> money_mismatch(const Bill& bill, const BillEvent& event) {
  if (!event.store_item_id.empty()) {
    if (event.store_item_id != bill.item_id) return refusing(Errc::conflict, "item mismatch");
    return std::nullopt;
  }
  if (event.amount_minor != bill.amount_minor) return refusing(Errc::conflict, "amount mismatch");
  if (event.currency != bill.currency) return refusing(Errc::conflict, "currency mismatch");
  return std::nullopt;
}

Decision on_success(const Bill& bill, const BillEvent& event) {
  if (auto mismatch = money_mismatch(bill, event)) return *mismatch;
  if (event.trade_no.empty()) return refusing(Errc::invalid_parameter, "missing trade number");
  if (is_settled_paid(bill.state)) {
    if (event.trade_no == bill.provider_trade_no) return ignoring("duplicate success");
    // A second trade for one bill is a double charge: refuse loudly, an operator refunds.
    return refusing(Errc::conflict, "success with another trade number for a paid bill");
  }
  Decision d = applying(BillState::paid, "paid");
  d.enqueue_delivery = true;
  if (bill.state == BillState::failed || bill.state == BillState::closed) {
    d.late_payment = true;  // money taken is never ignored
    d.reason = "late payment";
  }
  return d;
}

Decision on_failure(const Bill& bill) {
  if (bill.state == BillState::created) return applying(BillState::failed, "failed");
  return ignoring("failure for a bill no longer waiting for payment");
}

Decision on_close(const Bill& bill) {
  if (bill.state == BillState::created) return applying(BillState::closed, "closed");
  if (bill.state == BillState::closed) return ignoring("already closed");
  return refusing(Errc::conflict, "a " + std::string(to_string(bill.state)) + " bill cannot be closed");
}

Decision on_expire(const Bill& bill) {
  if (bill.state == BillState::created) return applying(BillState::closed, "expired");
  return ignoring("not waiting for payment");
}

Decision on_delivery_confirmed(const Bill& bill) {
  if (bill.state == BillState::paid) {
    Decision d = applying(BillState::delivered, "delivered");
    d.finish_delivery = true;
    return d;
  }
  if (bill.state == BillState::delivered || bill.state == BillState::refunded) {
    Decision d = ignoring("delivery already settled");
    d.finish_delivery = true;
    return d;
  }
  return refusing(Errc::conflict, "delivery confirmed for an unpaid bill");
}

// Only a refund of the whole amount makes the bill `refunded` (the state says the money went
// back, and the game takes the goods back on bill.refunded). A partial refund is acknowledged
// (the provider stops retrying), audited and alerted, and leaves the bill as it is: the goods
// stay delivered, an operator decides. More than the bill was ever paid is a mismatch.
Decision on_refund(const Bill& bill, const BillEvent& event) {
  if (event.refund_amount_minor > bill.amount_minor || event.refund_amount_minor < 0)
    return refusing(Errc::conflict, "refund amount does not match the bill");
  const bool partial = event.refund_amount_minor != 0 && event.refund_amount_minor < bill.amount_minor;
  if (partial && (bill.state == BillState::paid || bill.state == BillState::delivered)) {
    Decision d = ignoring("partial refund of " + std::to_string(event.refund_amount_minor) + " of " +
                          std::to_string(bill.amount_minor) + ": bill unchanged");
    d.alert = true;
    return d;
  }
  if (bill.state == BillState::paid || bill.state == BillState::delivered) {
    // The refund is delivered as bill.refunded by the bill's delivery job, committed with
    // the transition. A paid bill's pending job is kept, not ended: its next attempt reads
    // the bill refunded and sends bill.refunded instead of bill.paid (the game server may
    // have granted the goods from an attempt whose answer was lost, so it must hear it).
    Decision d = applying(BillState::refunded, "refunded");
    d.enqueue_delivery = true;
    return d;
  }
  if (bill.state == BillState::refunded) return ignoring("already refunded");
  return refusing(Errc::conflict, "only a paid or delivered bill can be refunded");
}

}  // namespace

std::string_view to_string(BillEventKind kind) {
  switch (kind) {
    case BillEventKind::provider_success:
      return "provider_success";
    case BillEventKind::provider_failure:
      return "provider_failure";
    case BillEventKind::close:
      return "close";
    case BillEventKind::expire:
      return "expire";
    case BillEventKind::delivery_confirmed:
      return "delivery_confirmed";
    case BillEventKind::refund:
      return "refund";
  }
  return "unknown";
}

Decision decide(const Bill& bill, const BillEvent& event) {
  if (!event.app_id.empty() && event.app_id != bill.app_id) {
    return refusing(Errc::not_found, "no such bill");
  }
  if (!event.channel.empty() && event.channel != bill.channel) {
    return refusing(Errc::conflict, "a " + event.channel + " notification for a " + bill.channel + " bill");
  }
  switch (event.kind) {
    case BillEventKind::provider_success:
      return on_success(bill, event);
    case BillEventKind::provider_failure:
      return on_failure(bill);
    case BillEventKind::close:
      return on_close(bill);
    case BillEventKind::expire:
      return on_expire(bill);
    case BillEventKind::delivery_confirmed:
      return on_delivery_confirmed(bill);
    case BillEventKind::refund:
      return on_refund(bill, event);
  }
  return refusing(Errc::invalid_parameter, "unknown event");
}

Bill apply_decision(const Bill& bill, const Decision& decision, const BillEvent& event, Millis now) {
  assert(decision.verdict == Verdict::apply);
  Bill next = bill;
  next.state = decision.next;
  next.version = bill.version + 1;
  if (decision.late_payment) next.late_payment = true;
  if (decision.next == BillState::paid) {
    next.provider_trade_no = event.trade_no;
    next.paid_at = now;
  }
  if (decision.next == BillState::delivered) next.delivered_at = now;
  return next;
}

bool wait_satisfied(BillState state, WaitUntil until) {
  if (until == WaitUntil::paid) return state != BillState::created;
  return state != BillState::created && state != BillState::paid;
}

}  // namespace unipay
