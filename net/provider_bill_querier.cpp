#include "net/provider_bill_querier.hpp"

#include <fmt/format.h>

#include "net/app_spec.hpp"
#include "net/channels/bill_view.hpp"
#include "storage/app_reads.hpp"
#include "storage/app_store.hpp"

namespace unipay {
namespace {

QueryOutcome outcome_of(const Result<QueryAnswer>& answer) {
  if (answer) return answer->outcome;
  return answer.error().code == Errc::server_busy ? QueryOutcome::unreachable : QueryOutcome::refused;
}

}  // namespace

std::string_view query_outcome_name(QueryOutcome outcome) {
  switch (outcome) {
    case QueryOutcome::paid:
      return "paid";
    case QueryOutcome::failed:
      return "failed";
    case QueryOutcome::pending:
      return "pending";
    case QueryOutcome::unreachable:
      return "unreachable";
    case QueryOutcome::refused:
      return "refused";
  }
  return "refused";
}

Result<QueryAnswer> query_answer(const channels::ProviderResult& result) {
  using channels::ProviderStatus;
  QueryAnswer answer;
  answer.detail = fmt::format("provider says {}", channels::to_string(result.status));
  switch (result.status) {
    case ProviderStatus::paid:
      answer.outcome = QueryOutcome::paid;
      answer.trade_no = result.trade_no;
      answer.amount_minor = result.amount_minor;
      answer.currency = result.currency;
      answer.item_id = result.item_id;
      return answer;
    case ProviderStatus::failed:
    case ProviderStatus::closed:
      answer.outcome = QueryOutcome::failed;
      return answer;
    case ProviderStatus::pending:
      answer.outcome = QueryOutcome::pending;
      return answer;
    case ProviderStatus::refunded:
    case ProviderStatus::unrelated:
      break;
  }
  // Money taken and given back for a bill unipay never saw paid: an operator looks.
  return make_error(Errc::conflict, answer.detail + " for a bill waiting for payment");
}

ProviderBillQuerier::ProviderBillQuerier(storage::Database& db, const ProviderClient& client,
                                         channels::ProviderUrls urls, Post post)
    : db_(db), client_(client), urls_(std::move(urls)), post_(std::move(post)) {
  const auto& registry = channels::default_registry();
  for (std::string_view name : registry.names()) {
    if (registry.find(name)->traits().has_query) counts_[std::string(name)];
  }
}

bool ProviderBillQuerier::can_query(std::string_view channel) const { return counts_.contains(channel); }

void ProviderBillQuerier::query(const Bill& bill, const std::string& receipt,
                                std::function<void(Result<QueryAnswer>)> done) {
  // Everything runs on post_'s thread, whose app cache (storage/app_reads.hpp: one second,
  // bounded) keeps the app with its channels parsed once per load (attach_channels), like
  // the io threads' cache; only a miss reads the database.
  post_([this, bill, receipt, done = std::move(done)]() mutable {
    if (auto app = storage::cached_app(bill.app_id); app && app->channels)
      return query_with(*app, bill, receipt, std::move(done));
    load_app(bill, receipt, std::move(done));
  });
}

void ProviderBillQuerier::load_app(const Bill& bill, std::string receipt,
                                   std::function<void(Result<QueryAnswer>)> done) {
  // The read's answer arrives on a storage thread: parsing keys and signing happen on post_'s.
  db_.read(storage::select_app(bill.app_id),
           [this, bill, receipt = std::move(receipt), done = std::move(done)](Result<storage::Rows> rows) {
             post_([this, bill, receipt, done, rows = std::move(rows)]() mutable {
               if (!rows)
                 return done(make_error(Errc::server_busy,
                                        fmt::format("the app cannot be read: {}", rows.error().message)));
               auto app = storage::parse_app(*rows);
               if (!app) return done(make_error(Errc::not_found, fmt::format("no app {}", bill.app_id)));
               attach_channels(*app);
               storage::remember_app(*app);
               query_with(*app, bill, receipt, std::move(done));
             });
           });
}

void ProviderBillQuerier::query_with(const storage::App& app, const Bill& bill, const std::string& receipt,
                                     std::function<void(Result<QueryAnswer>)> done) {
  auto counted = [this, channel = bill.channel, done = std::move(done)](Result<QueryAnswer> answer) {
    count(channel, outcome_of(answer));
    done(std::move(answer));
  };
  const channels::ConfiguredChannel* configured = app_channels(app).find(bill.channel);
  if (configured == nullptr)
    return counted(make_error(Errc::invalid_parameter,
                              fmt::format("channel {} is not configured for the app", bill.channel)));
  channels::ChannelContext context{configured->credentials, urls_, unix_now_s()};
  const channels::BillView view = channels::bill_view(bill);
  auto step = receipt.empty() ? configured->adapter->query(context, view)
                              : configured->adapter->verify_receipt(context, view, receipt);
  client_.run<channels::ProviderResult>(std::move(step), [counted](Result<channels::ProviderResult> result) {
    if (!result) return counted(result.error());
    counted(query_answer(*result));
  });
}

void ProviderBillQuerier::count(std::string_view channel, QueryOutcome outcome) {
  auto it = counts_.find(channel);
  if (it != counts_.end()) it->second[static_cast<size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
}

}  // namespace unipay
