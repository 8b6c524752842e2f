#include "bench/players.hpp"

#include <optional>
#include <random>
#include <unordered_map>

#include "bench/provider_payer.hpp"
#include "bench/retry_after.hpp"

namespace unipay::bench {

namespace {

struct Player {
  uint64_t id = 0;
  CreatedBill bill;
  Clock::time_point started;
  Clock::time_point paid_at;  // callback answered 200
  bool callback_done = false;
  bool callback_ok = false;
  bool poll_done = false;
  bool delivered = false;  // the poll saw the awaited state (delivered, or paid with until=paid)
  int polls = 0;
  int callback_tries = 0;
  std::optional<ClientRequest> notification;  // a simulated channel's, sent again on retries
};

using PlayerPtr = std::shared_ptr<Player>;

constexpr auto kRetryDelay = std::chrono::milliseconds(200);
constexpr auto kTimeoutSlack = std::chrono::milliseconds(200);
constexpr auto kWakeGrace = std::chrono::seconds(1);
constexpr auto kDeliveredCommitGrace = std::chrono::seconds(5);

bool busy_answer(const ClientResponse& r) { return r.status == 0 || r.status == 429 || r.status >= 500; }

}  // namespace

struct Players::State : std::enable_shared_from_this<State> {
  State(Context& c, PlayerConfig cfg) : ctx(c), config(cfg) {}

  void create(const PlayerPtr& p);
  bool retry_create_later(const PlayerPtr& p, const ClientResponse& r);
  void poll(const PlayerPtr& p);
  void on_poll(const PlayerPtr& p, const ClientResponse& r);
  void pay(const PlayerPtr& p);
  void send_callback(const PlayerPtr& p, ClientRequest request);
  void on_paid(const PlayerPtr& p, const ClientResponse& r);
  void delivered(const PlayerPtr& p, Clock::time_point answered);
  void maybe_end(const PlayerPtr& p);
  bool missed_wake(const PlayerPtr& p, const ClientResponse& r) const;

  Context& ctx;
  PlayerConfig config;
  std::unordered_map<uint64_t, PlayerPtr> live;
  std::vector<PaidBill> paid;
  std::function<void()> ended;
  uint64_t next_id = 0;
  uint64_t completed = 0;
  uint64_t retry_after_waits = 0;
  bool retrying = true;
  bool closed = false;
  std::minstd_rand spread_random{20261204};
};

void Players::State::create(const PlayerPtr& p) {
  std::string nonce;
  ClientRequest request =
      create_bill_request(ctx.app, "player" + std::to_string(p->id), nonce, config.channel);
  ctx.client.send(std::move(request), [self = shared_from_this(), p, nonce](ClientResponse r) {
    if (self->closed) return;
    std::string kind;
    if (!parse_create_answer(r, self->ctx.app, nonce, p->bill, kind)) {
      self->ctx.stats.error("create:" + kind);
      if (self->retry_create_later(p, r)) return;
      p->callback_done = p->poll_done = true;
      return self->maybe_end(p);
    }
    self->ctx.stats.record(Step::create, r.latency());
    self->poll(p);
    auto pay = [self, p] { self->pay(p); };
    if (self->config.think_ms == 0) return pay();
    self->ctx.loop.after(std::chrono::milliseconds(self->config.think_ms), pay);
  });
}

// A busy refusal (429/503) with Retry-After, while the load lasts: the same player creates
// again after the wait, its lifecycle timed from the new attempt. False: the player ends.
bool Players::State::retry_create_later(const PlayerPtr& p, const ClientResponse& r) {
  if (!config.honour_retry_after || !retrying || (r.status != 429 && r.status != 503)) return false;
  const auto seconds = parse_retry_after_s(r.retry_after);
  if (!seconds) return false;
  retry_after_waits += 1;
  const double spread = std::uniform_real_distribution<double>(0.0, 1.0)(spread_random);
  ctx.loop.after(retry_wait(*seconds, spread), [self = shared_from_this(), p] {
    if (self->closed) return;
    if (!self->retrying) {
      p->callback_done = p->poll_done = true;
      return self->maybe_end(p);
    }
    p->started = Clock::now();
    self->create(p);
  });
  return true;
}

// The awaited state, but only when the poll's own timeout ran out although the bill got
// there well before (paid: the callback's answer; delivered: the game's acknowledgement,
// plus time for the `delivered` commit): a waiter that was not woken. A diagnostic, not a
// correctness counter (the answer did come, late).
bool Players::State::missed_wake(const PlayerPtr& p, const ClientResponse& r) const {
  if (r.latency() < std::chrono::seconds(config.poll_timeout_s) - kTimeoutSlack) return false;
  if (!config.until_delivered) return p->callback_ok && p->paid_at + kWakeGrace < r.done_at;
  auto acked = ctx.game.acknowledged_at(p->bill.bill_id);
  return acked && *acked + kDeliveredCommitGrace < r.done_at;
}

void Players::State::poll(const PlayerPtr& p) {
  p->polls += 1;
  ctx.client.send(
      longpoll_request(p->bill, config.poll_timeout_s, config.until_delivered ? "delivered" : "paid"),
      [self = shared_from_this(), p](ClientResponse r) {
        if (!self->closed) self->on_poll(p, r);
      });
}

void Players::State::on_poll(const PlayerPtr& p, const ClientResponse& r) {
  PollAnswer answer;
  if (parse_poll_answer(r, answer)) {
    ctx.stats.record(Step::longpoll, r.latency());
    const bool done = answer.state == "delivered" || (!config.until_delivered && answer.state == "paid");
    if (done && missed_wake(p, r)) ctx.stats.error("poll:woken_only_at_timeout");
    if (!answer.timed_out && done) return delivered(p, r.done_at);
    if (!answer.timed_out && final_state(answer.state)) {
      ctx.stats.error("poll:ended_" + answer.state);  // a paid bill closed or failed is checked as lost
      p->poll_done = true;
      return maybe_end(p);
    }
  } else {
    ctx.stats.error("poll:" + answer_error_kind(r));
    if (r.status == 0 && r.error == "timeout") ctx.stats.correctness.waiters_never_answered += 1;
  }
  // Timed out, busy, or an error: poll again while the player has polls left and is paid
  // (or still may be).
  bool hopeless = p->callback_done && !p->callback_ok;
  if (p->polls >= config.max_polls || hopeless) {
    if (!hopeless) ctx.stats.error("poll:gave_up");
    // Delivered to the game, yet every poll of this paid bill came back without it.
    if (p->callback_ok && ctx.game.acknowledged_at(p->bill.bill_id))
      ctx.stats.correctness.waiters_never_answered += 1;
    p->poll_done = true;
    return maybe_end(p);
  }
  if (busy_answer(r)) {
    ctx.loop.after(kRetryDelay, [self = shared_from_this(), p] {
      if (!self->closed) self->poll(p);
    });
    return;
  }
  poll(p);
}

void Players::State::pay(const PlayerPtr& p) {
  if (closed) return;
  if (!simulated_channel(config.channel))
    return send_callback(p, callback_request(ctx.app, p->bill.bill_id, "t" + p->bill.bill_id));
  if (p->notification) return send_callback(p, *p->notification);  // the provider retries the same
  ctx.payer->pay(config.channel, ctx.app.app_id, p->bill,
                 [self = shared_from_this(), p](bool ok, ClientRequest notification, std::string kind) {
                   if (self->closed) return;
                   if (!ok) {
                     self->ctx.stats.error("pay:" + kind);  // the bench's provider side failed
                     p->callback_done = true;
                     return self->maybe_end(p);
                   }
                   p->notification = std::move(notification);
                   self->send_callback(p, *p->notification);
                 });
}

void Players::State::send_callback(const PlayerPtr& p, ClientRequest request) {
  p->callback_tries += 1;
  ctx.client.send(std::move(request), [self = shared_from_this(), p](ClientResponse r) {
    if (!self->closed) self->on_paid(p, r);
  });
}

void Players::State::on_paid(const PlayerPtr& p, const ClientResponse& r) {
  if (ProviderPayer::accepted(config.channel, r)) {
    ctx.stats.record(Step::callback, r.latency());
    p->paid_at = r.done_at;
    p->callback_ok = true;
    p->callback_done = true;
    paid.push_back(PaidBill{p->bill.bill_id, r.done_at});
    if (p->delivered) ctx.stats.record(Step::wake, Clock::duration::zero());  // the poll won the race
    return maybe_end(p);
  }
  ctx.stats.error("callback:" + answer_error_kind(r));
  if (busy_answer(r) && p->callback_tries < config.max_callback_tries) {
    ctx.loop.after(kRetryDelay, [self = shared_from_this(), p] { self->pay(p); });
    return;
  }
  // A valid, signed callback on a real bill refused (not busy) is a correctness failure.
  if (!busy_answer(r)) ctx.stats.correctness.callbacks_wrongly_refused += 1;
  p->callback_done = true;
  maybe_end(p);
}

void Players::State::delivered(const PlayerPtr& p, Clock::time_point answered) {
  p->delivered = true;
  p->poll_done = true;
  completed += 1;
  ctx.stats.record(Step::lifecycle, answered - p->started);
  if (p->callback_ok) {
    ctx.stats.record(Step::wake, std::max(answered - p->paid_at, Clock::duration::zero()));
  }
  maybe_end(p);
}

void Players::State::maybe_end(const PlayerPtr& p) {
  if (!p->poll_done || !p->callback_done) return;
  if (live.erase(p->id) == 0) return;
  if (ended) ended();
}

Players::Players(Context& ctx, PlayerConfig config) : state_(std::make_shared<State>(ctx, config)) {}

Players::~Players() { state_->closed = true; }

void Players::start_one() {
  auto p = std::make_shared<Player>();
  p->id = state_->next_id++;
  p->started = Clock::now();
  state_->live.emplace(p->id, p);
  state_->create(p);
}

void Players::on_end(std::function<void()> fn) { state_->ended = std::move(fn); }
void Players::stop_retrying() { state_->retrying = false; }
uint64_t Players::retry_after_waits() const { return state_->retry_after_waits; }
size_t Players::in_flight() const { return state_->live.size(); }
uint64_t Players::started() const { return state_->next_id; }
uint64_t Players::completed() const { return state_->completed; }
const std::vector<PaidBill>& Players::paid() const { return state_->paid; }

void Players::account_unfinished() {
  for (const auto& [id, p] : state_->live) {
    state_->ctx.stats.error("bench:unfinished_player");
    if (p->callback_ok && !p->delivered && state_->ctx.game.acknowledged_at(p->bill.bill_id)) {
      state_->ctx.stats.correctness.waiters_never_answered += 1;
    }
  }
}

}  // namespace unipay::bench
