// The janitor's way to a provider (actors/bill_querier.hpp, implemented here so actors/
// never sees the channel adapters): takes the bill's app from its thread's app cache (read
// and its channels parsed once per load, as the io threads do), and runs the channel
// adapter's query through a ProviderClient (deadline, connection reuse, TLS verification of
// net/provider_client.hpp). Counts every query by channel and outcome for /metrics. No Beast, no CAF in this
// header.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "actors/bill_querier.hpp"
#include "net/channels/channel_adapter.hpp"
#include "net/provider_client.hpp"
#include "storage/database.hpp"

namespace unipay {

namespace storage {
struct App;
}

// Queries per outcome (QueryOutcome's order: paid, failed, pending, unreachable, refused).
constexpr size_t kQueryOutcomes = 5;
std::string_view query_outcome_name(QueryOutcome outcome);

class ProviderBillQuerier final : public BillQuerier {
 public:
  using Post = std::function<void(std::function<void()>)>;

  // `post` runs work on a thread that may parse keys and sign requests (not a storage
  // thread): the provider client's io thread. `db` and `client` must outlive this.
  ProviderBillQuerier(storage::Database& db, const ProviderClient& client, channels::ProviderUrls urls,
                      Post post);

  bool can_query(std::string_view channel) const override;
  void query(const Bill& bill, const std::string& receipt,
             std::function<void(Result<QueryAnswer>)> done) override;

  // Queries made so far, by channel (those with a query API, or receipts a verify job checks
  // again) and outcome.
  using Counts = std::array<std::atomic<uint64_t>, kQueryOutcomes>;
  const std::map<std::string, Counts, std::less<>>& counts() const { return counts_; }

 private:
  void load_app(const Bill& bill, std::string receipt, std::function<void(Result<QueryAnswer>)> done);
  void query_with(const storage::App& app, const Bill& bill, const std::string& receipt,
                  std::function<void(Result<QueryAnswer>)> done);
  void count(std::string_view channel, QueryOutcome outcome);

  storage::Database& db_;
  const ProviderClient& client_;
  const channels::ProviderUrls urls_;
  const Post post_;
  std::map<std::string, Counts, std::less<>> counts_;  // its keys are fixed at construction
};

// A verified provider statement as the verify actor sees it; errors for what no query of
// this order can change (a refund or an unrelated answer for an unpaid bill: conflict).
Result<QueryAnswer> query_answer(const channels::ProviderResult& result);

}  // namespace unipay
