#include "bench/forged_traffic.hpp"

#include <time.h>

#include <atomic>
#include <random>
#include <thread>

#include "bench/loop.hpp"
#include "net/crypto.hpp"

namespace unipay::bench {
namespace {

constexpr size_t kUnknownApps = 100;
constexpr auto kTick = std::chrono::milliseconds(1);
constexpr auto kAnswerWait = std::chrono::seconds(20);

double thread_cpu_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

struct ForgedTraffic::Impl {
  Endpoint target;
  AppCreds app;
  std::vector<std::string> bill_ids;
  std::vector<AppCreds> unknown;  // well-shaped app ids that no app has
  double rate_per_s;
  size_t max_in_flight;
  int source_index = 0;
  std::mt19937_64 random;
  std::atomic<bool> stopping{false};
  std::thread thread;
  ForgedTotals totals;  // written by the thread only; read after join
  size_t in_flight = 0;

  ClientRequest next_request(uint64_t n) {
    const std::string& bill_id = bill_ids[random() % bill_ids.size()];
    if (n % 2 == 0) {
      ClientRequest r =
          callback_request(unknown[random() % unknown.size()], bill_id, "forged" + std::to_string(n));
      return r;
    }
    AppCreds wrong = app;
    wrong.sandbox_secret = "not-the-secret";
    return callback_request(wrong, bill_id, "forged" + std::to_string(n));
  }

  void run() {
    const double cpu_at_start = thread_cpu_s();
    Loop loop;
    HttpClient client(loop, target, ClientOptions{max_in_flight, source_index});
    const auto started = Clock::now();
    uint64_t due_sent = 0;
    loop.every(kTick, [&] {
      if (stopping.load()) return false;
      const auto due = static_cast<uint64_t>(seconds_since(started) * rate_per_s);
      for (; due_sent < due; ++due_sent) {
        if (in_flight >= max_in_flight) {
          totals.skipped += 1;
          continue;
        }
        in_flight += 1;
        totals.sent += 1;
        client.send(next_request(due_sent), [this](ClientResponse r) {
          in_flight -= 1;
          totals.by_answer[r.status ? std::to_string(r.status) : "no_answer:" + r.error] += 1;
        });
      }
      return true;
    });
    loop.run_while([&] { return !stopping.load(); }, Clock::now() + std::chrono::hours(24));
    totals.seconds = seconds_since(started);
    loop.run_while([&] { return in_flight > 0; }, Clock::now() + kAnswerWait);
    client.close_idle();
    totals.cpu_s = thread_cpu_s() - cpu_at_start;
  }
};

ForgedTraffic::ForgedTraffic(Endpoint target, AppCreds app, std::vector<std::string> bill_ids,
                             double rate_per_s, size_t max_in_flight, int source_index, uint64_t seed)
    : impl_(std::make_unique<Impl>()) {
  impl_->target = std::move(target);
  impl_->app = std::move(app);
  impl_->bill_ids = std::move(bill_ids);
  if (impl_->bill_ids.empty()) impl_->bill_ids.push_back("b_00000000000000000000000000");
  impl_->rate_per_s = rate_per_s;
  impl_->max_in_flight = max_in_flight;
  impl_->source_index = source_index;
  impl_->random.seed(seed);
  for (size_t i = 0; i < kUnknownApps; ++i) {
    impl_->unknown.push_back(AppCreds{"app_" + crypto::random_hex(8), "", crypto::random_hex(16)});
  }
}

ForgedTraffic::~ForgedTraffic() { stop(); }

void ForgedTraffic::start() {
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

ForgedTotals ForgedTraffic::stop() {
  impl_->stopping = true;
  if (impl_->thread.joinable()) impl_->thread.join();
  return impl_->totals;
}

}  // namespace unipay::bench
