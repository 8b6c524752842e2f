#include "bench/game_sim.hpp"

#include <atomic>
#include <mutex>
#include <random>
#include <unordered_map>

#include "bench/mini_server.hpp"

namespace unipay::bench {

namespace {
constexpr std::string_view kBillIdKey = R"("bill_id":")";
constexpr size_t kMaxBillIdBytes = 64;

// The first "bill_id" of the delivery body is the bill's (docs/API.md, Delivery).
std::string bill_id_of(std::string_view body) {
  size_t at = body.find(kBillIdKey);
  if (at == std::string_view::npos) return {};
  at += kBillIdKey.size();
  size_t end = body.find('"', at);
  if (end == std::string_view::npos || end - at > kMaxBillIdBytes) return {};
  return std::string(body.substr(at, end - at));
}
}  // namespace

struct GameSim::Impl {
  MiniResponse handle(const MiniRequest& request);
  bool down_at(Clock::time_point now) const;

  GameSimOptions options;
  std::unique_ptr<MiniServer> server;
  std::atomic<int64_t> load_start_ns{0};  // 0: the load has not started, never down
  mutable std::mutex mutex;
  std::unordered_map<std::string, Clock::time_point> acked;
  std::mt19937_64 random;
  GameCounters counters;
};

bool GameSim::Impl::down_at(Clock::time_point now) const {
  int64_t start = load_start_ns.load(std::memory_order_relaxed);
  if (start == 0 || options.down_s <= 0) return false;
  double t = std::chrono::duration<double>(now.time_since_epoch() - std::chrono::nanoseconds(start)).count();
  return t >= options.down_at_s && t < options.down_at_s + options.down_s;
}

MiniResponse GameSim::Impl::handle(const MiniRequest& request) {
  auto now = Clock::now();
  std::string bill_id = bill_id_of(request.body);
  std::lock_guard lock(mutex);
  counters.requests += 1;
  if (down_at(now)) {
    counters.refused_while_down += 1;
    return MiniResponse{503, R"({"down":true})", true};
  }
  if (bill_id.empty()) {
    counters.unparsable += 1;
    return MiniResponse{400, R"({"error":"no bill_id"})", false};
  }
  if (options.fail_rate > 0 && std::uniform_real_distribution<double>(0, 1)(random) < options.fail_rate) {
    counters.injected_failures += 1;
    return MiniResponse{500, R"({"error":"injected"})", false};
  }
  auto [it, inserted] = acked.emplace(std::move(bill_id), now);
  if (inserted) {
    counters.acknowledged += 1;
  } else {
    counters.duplicates += 1;  // answered 200 again: the game treats bill_id as idempotency key
  }
  return MiniResponse{};
}

std::unique_ptr<GameSim> GameSim::start(const GameSimOptions& options, std::string& error) {
  std::unique_ptr<GameSim> sim(new GameSim());
  sim->impl_ = std::make_unique<Impl>();
  Impl* impl = sim->impl_.get();
  impl->options = options;
  impl->random.seed(options.seed);
  impl->server = MiniServer::start(
      "127.0.0.1", 0, 1, [impl](const MiniRequest& r) { return impl->handle(r); }, error);
  if (!impl->server) return nullptr;
  return sim;
}

GameSim::~GameSim() { stop(); }

void GameSim::stop() {
  if (impl_ && impl_->server) impl_->server->stop();
}

std::string GameSim::delivery_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->server->port()) + "/deliver";
}

void GameSim::set_load_start(Clock::time_point start) {
  impl_->load_start_ns.store(
      std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch()).count());
}

std::optional<Clock::time_point> GameSim::acknowledged_at(const std::string& bill_id) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->acked.find(bill_id);
  if (it == impl_->acked.end()) return std::nullopt;
  return it->second;
}

GameCounters GameSim::counters() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->counters;
}

bool GameSim::down_now() const { return impl_->down_at(Clock::now()); }

}  // namespace unipay::bench
