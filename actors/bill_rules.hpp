// The bill state machine of DESIGN.md §2 as a pure function: given a bill and an event,
// decide whether the event applies (and to which state), is acknowledged and ignored, or is
// refused. The bill actor is the only caller that acts on a decision.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/result.hpp"
#include "storage/bill.hpp"

namespace unipay {

enum class BillEventKind {
  provider_success,    // verified provider success (callback or active verification)
  provider_failure,    // verified provider failure
  close,               // close request by the app
  expire,              // ttl passed (after a last provider query where the channel has one)
  delivery_confirmed,  // the game server answered 2xx
  refund,              // verified provider refund or admin refund
};

std::string_view to_string(BillEventKind kind);

struct BillEvent {
  BillEventKind kind = BillEventKind::provider_success;
  std::string app_id;        // the app the event came through; "" for internal events.
                             // Another app's bill is not_found (existence is not revealed).
  std::string channel;       // provider events: the channel that reported it ("" not checked);
                             // a bill of another channel is refused (conflict)
  std::string trade_no;      // provider events: the provider's trade number
  int64_t amount_minor = 0;  // provider success: what the provider took
  std::string currency;      // provider success
  // refund: what the provider says it gave back (Alipay and Stripe: the order's total
  // refunded so far; WeChat Pay: this refund); 0 when the provider names no amount (a
  // whole revocation: Apple, Google voided purchases).
  int64_t refund_amount_minor = 0;
  // App stores (apple): the item the store sold. The store prices per storefront, so this
  // item matching the bill's stands for amount and currency.
  std::string store_item_id;
};

enum class Verdict {
  apply,   // commit the transition
  ignore,  // acknowledge, change nothing (duplicate or stale event)
  refuse,  // answer an error, change nothing
};

struct Decision {
  Verdict verdict = Verdict::ignore;
  BillState next = BillState::created;  // for apply
  Errc refusal = Errc::conflict;        // for refuse
  std::string reason;                   // for logs, audit and error messages
  bool late_payment = false;            // success after failed/closed
  bool enqueue_delivery = false;        // paid or refunded: the delivery job starts now
  bool finish_delivery = false;         // delivered: the delivery job ends
  bool alert = false;                   // acknowledged, but an operator must look (partial refund)
};

Decision decide(const Bill& bill, const BillEvent& event);

// The bill after an applied decision (version + 1, timestamps and trade number set).
Bill apply_decision(const Bill& bill, const Decision& decision, const BillEvent& event, Millis now);

// Long-poll conditions (DESIGN.md §7.2).
enum class WaitUntil { paid, delivered };
bool wait_satisfied(BillState state, WaitUntil until);

}  // namespace unipay
