// How verify actors ask a payment provider about a bill (the janitor). Implemented in net/
// (net/provider_bill_querier.hpp: the app's channel credentials, the channel adapter's
// query, the provider client); actors/ sees only this interface, so it never includes the
// channel adapters, and the verify actor's tests drive it with a fake.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "actors/verify_rules.hpp"
#include "config/result.hpp"
#include "storage/bill.hpp"

namespace unipay {

// What the provider said about the bill's order (verified: its signature checked).
struct QueryAnswer {
  QueryOutcome outcome = QueryOutcome::pending;  // paid, failed or pending (errors are Results)
  std::string trade_no;                          // paid: the provider's transaction number
  int64_t amount_minor = 0;                      // paid: what the provider took
  std::string currency;                          // paid
  std::string detail;                            // for logs and the job's last_error
  std::string item_id;                           // paid, app stores: the bill item the store sold
};

class BillQuerier {
 public:
  virtual ~BillQuerier() = default;
  // True when the channel has a query API (its bills get a verify job at creation).
  virtual bool can_query(std::string_view channel) const = 0;
  // Asks the provider of bill.channel, with the credentials of bill.app_id. Never blocks the
  // caller; `done` runs once, on another thread: it must only hand the result on. Errors:
  // server_busy when the outcome is unknown (provider unreachable, answer not verified);
  // anything else can never succeed (the app has no credentials for the channel...). With a
  // receipt (a verify job's, storage::Job::receipt) the channel checks that receipt again
  // instead (an Apple transactionId lookup the provider did not answer at verify time).
  virtual void query(const Bill& bill, const std::string& receipt,
                     std::function<void(Result<QueryAnswer>)> done) = 0;
};

}  // namespace unipay
