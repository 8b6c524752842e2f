#include "bench/wallet_traffic.hpp"

#include <random>

namespace unipay::bench {

namespace {

constexpr int kMaxTries = 50;  // an unknown outcome is retried this often (same op_id) at most
constexpr auto kRetryDelay = std::chrono::milliseconds(200);
constexpr int64_t kMaxCreditMinor = 1000;
constexpr int64_t kMaxSpendMinor = 500;  // debits and holds

bool unknown_outcome(const ClientResponse& r) { return r.status == 0 || r.status == 429 || r.status >= 500; }

// The signed amount an applied operation's entry must carry.
int64_t expected_entry_amount(const WalletOp& op) {
  return op.kind == WalletOpKind::credit ? op.amount : -op.amount;
}

}  // namespace

struct WalletTraffic::State : std::enable_shared_from_this<State> {
  State(Context& c, WalletAccounts& a, uint64_t seed) : ctx(c), accounts(a), random(seed) {}

  void send(WalletOp op, bool setup);
  void on_answer(WalletOp op, bool setup, const ClientResponse& r);
  void applied(const WalletOp& op, bool setup, const ClientResponse& r);
  void replay(const WalletOp& op, const ClientResponse& first);
  void follow_hold(const WalletOp& hold, const std::string& hold_id);
  void flow_done();
  int64_t uniform(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(random); }
  std::string next_op_id() { return "op" + std::to_string(op_counter++); }

  Context& ctx;
  WalletAccounts& accounts;
  std::mt19937_64 random;
  WalletCounters counters;
  std::function<void()> ended;
  uint64_t op_counter = 0;
  size_t flows = 0;
  size_t requests = 0;
  bool closed = false;
};

void WalletTraffic::State::send(WalletOp op, bool setup) {
  if (op.tries == 0) op.first_sent = Clock::now();
  op.tries += 1;
  requests += 1;
  ClientRequest request = wallet_op_request(op);
  sign_app_request(request, ctx.app);
  ctx.client.send(std::move(request),
                  [self = shared_from_this(), op = std::move(op), setup](ClientResponse r) mutable {
                    self->requests -= 1;
                    if (self->closed) return;
                    self->on_answer(std::move(op), setup, r);
                  });
}

void WalletTraffic::State::on_answer(WalletOp op, bool setup, const ClientResponse& r) {
  const std::string what = std::string("wallet_") + wallet_op_name(op.kind) + ":";
  if (unknown_outcome(r)) {
    ctx.stats.error(what + answer_error_kind(r));
    if (op.tries < kMaxTries) {
      requests += 1;  // the retry is owed: the drain waits for it
      ctx.loop.after(kRetryDelay, [self = shared_from_this(), op = std::move(op), setup]() mutable {
        self->requests -= 1;
        if (!self->closed) self->send(std::move(op), setup);
      });
      return;
    }
    ctx.stats.correctness.wallet_ops_unresolved += 1;
    accounts.models[op.account].unresolved();
    return flow_done();
  }
  if (r.status == 200 || r.status == 201) return applied(op, setup, r);
  if (!setup) counters.ops_final[op.hot ? 1 : 0] += 1;
  if (r.status == 409 && answer_error_kind(r) == "http_409:insufficient_balance") {
    counters.refused_insufficient += 1;  // a rule at work, not an error; nothing changed
  } else {
    ctx.stats.error(what + answer_error_kind(r));
  }
  flow_done();
}

void WalletTraffic::State::applied(const WalletOp& op, bool setup, const ClientResponse& r) {
  WalletAnswer answer;
  AccountModel& model = accounts.models[op.account];
  if (!parse_wallet_answer(r, answer)) {
    ctx.stats.error(std::string("wallet_") + wallet_op_name(op.kind) + ":malformed_answer");
    ctx.stats.correctness.wallet_ops_unresolved += 1;
    model.unresolved();
    return flow_done();
  }
  if (!setup) {
    ctx.stats.record(op.hot ? Step::wallet_hot_op : Step::wallet_op, r.done_at - op.first_sent);
    counters.ops_final[op.hot ? 1 : 0] += 1;
    counters.ops_by_kind[static_cast<int>(op.kind)] += 1;
  }
  if (!figures_consistent(answer.account)) ctx.stats.correctness.wallet_books_mismatches += 1;
  const bool makes_entry = op.kind != WalletOpKind::hold && op.kind != WalletOpKind::void_hold;
  if (makes_entry) {
    if (!answer.has_entry || answer.entry_op_id != op.op_id ||
        answer.entry_amount != expected_entry_amount(op))
      ctx.stats.correctness.wallet_books_mismatches += 1;
    model.entry(op.op_id, expected_entry_amount(op));
  }
  if (op.kind == WalletOpKind::capture || op.kind == WalletOpKind::void_hold)
    model.hold_closed(op.hold_amount);
  if (!setup && std::uniform_real_distribution<double>(0, 1)(random) < ctx.options.duplicate_share)
    replay(op, r);
  if (op.kind == WalletOpKind::hold) {
    model.hold_opened(op.amount);
    if (answer.hold_id.empty()) {
      ctx.stats.correctness.wallet_books_mismatches += 1;  // an applied hold the bench cannot end
      return flow_done();
    }
    return follow_hold(op, answer.hold_id);
  }
  flow_done();
}

// The same op_id and body again: the first answer's status and body, byte for byte.
void WalletTraffic::State::replay(const WalletOp& op, const ClientResponse& first) {
  counters.replays_sent += 1;
  requests += 1;
  ClientRequest request = wallet_op_request(op);
  sign_app_request(request, ctx.app);
  ctx.client.send(std::move(request),
                  [self = shared_from_this(), status = first.status, body = first.body](ClientResponse r) {
                    self->requests -= 1;
                    if (self->closed) return;
                    if (unknown_outcome(r))
                      return self->ctx.stats.error("wallet_replay:" + answer_error_kind(r));
                    self->ctx.stats.record(Step::wallet_replay, r.latency());
                    if (r.status != status || r.body != body)
                      self->ctx.stats.correctness.wallet_replays_differing += 1;
                  });
}

// Half the holds are captured (a random part of them, the rest released), half voided.
void WalletTraffic::State::follow_hold(const WalletOp& hold, const std::string& hold_id) {
  WalletOp next;
  next.account = hold.account;
  next.account_id = hold.account_id;
  next.hot = hold.hot;
  next.op_id = next_op_id();
  next.hold_id = hold_id;
  next.hold_amount = hold.amount;
  next.kind = uniform(0, 1) == 0 ? WalletOpKind::capture : WalletOpKind::void_hold;
  if (next.kind == WalletOpKind::capture) next.amount = uniform(1, hold.amount);
  send(std::move(next), false);
}

void WalletTraffic::State::flow_done() {
  flows -= 1;
  if (ended && !closed) ended();
}

WalletTraffic::WalletTraffic(Context& ctx, WalletAccounts& accounts, uint64_t seed)
    : state_(std::make_shared<State>(ctx, accounts, seed)) {}

WalletTraffic::~WalletTraffic() { state_->closed = true; }

void WalletTraffic::start_flow(bool hot) {
  State& s = *state_;
  WalletOp op;
  op.hot = hot;
  op.account =
      hot ? s.accounts.hot() : static_cast<size_t>(s.uniform(0, static_cast<int64_t>(s.accounts.hot()) - 1));
  op.account_id = s.accounts.ids[op.account];
  op.op_id = s.next_op_id();
  int64_t pick = s.uniform(0, 99);  // 35% credits, 35% debits, 30% holds
  op.kind = pick < 35 ? WalletOpKind::credit : pick < 70 ? WalletOpKind::debit : WalletOpKind::hold;
  op.amount = s.uniform(1, op.kind == WalletOpKind::credit ? kMaxCreditMinor : kMaxSpendMinor);
  s.flows += 1;
  s.send(std::move(op), false);
}

void WalletTraffic::seed_credit(size_t account, int64_t amount) {
  State& s = *state_;
  WalletOp op;
  op.account = account;
  op.account_id = s.accounts.ids[account];
  op.op_id = "seed" + std::to_string(account);
  op.amount = amount;
  s.flows += 1;
  s.send(std::move(op), true);
}

void WalletTraffic::on_flow_end(std::function<void()> fn) { state_->ended = std::move(fn); }
size_t WalletTraffic::flows_in_flight() const { return state_->flows; }
size_t WalletTraffic::requests_in_flight() const { return state_->requests; }
const WalletCounters& WalletTraffic::counters() const { return state_->counters; }

}  // namespace unipay::bench
