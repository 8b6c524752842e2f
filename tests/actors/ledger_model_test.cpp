// The ledger rules against a simple model of one account, over 10,000 generated sequences
// of credits, debits, recharges, refunds, holds, captures, voids, expiries, freezes,
// unfreezes, replays of earlier op_ids (same or other parameters) and batches. After every
// step: the rules agree with the model, and every invariant of issue 13 holds (balance =
// sum of entries, entries chain, held = sum of active holds, available >= 0, each entry's
// arithmetic, version + 1 per applied change and unchanged otherwise).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <ostream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "actors/ledger_rules.hpp"

namespace unipay {
namespace {

using std::chrono::seconds;

constexpr int kSequences = 10000;
const LedgerLimits kLimits{4};  // small, so the limit is reached in short sequences

// One generated step, interpreted against the state when it runs (picks are taken modulo
// what exists then), so any sequence is meaningful.
struct RawStep {
  int kind = 0;         // LedgerOpKind, 0..9
  int op_pick = 0;      // 0-5 fresh op_id, 6-7 repeat an earlier op exactly, 8 repeat with
                        // another amount, 9 invalid op_id
  int amount_pick = 0;  // 0-8 small, 9 edge value
  int64_t amount = 0;
  int hold_pick = 0;  // an existing hold (modulo), or an unknown id when past the end
  int ttl_s = 0;
  int advance_s = 0;  // the clock moves before the step
  int batch = 1;      // 1: decide; more: decide_batch of this many generated ops
};

// Lets RapidCheck print a counterexample.
void showValue(const RawStep& s, std::ostream& os) {
  os << "{kind " << s.kind << " op " << s.op_pick << " amount " << s.amount_pick << "/" << s.amount
     << " hold " << s.hold_pick << " ttl " << s.ttl_s << " +" << s.advance_s << "s batch " << s.batch << "}";
}

rc::Gen<RawStep> gen_step() {
  return rc::gen::map(
      rc::gen::tuple(
          rc::gen::inRange(0, 10), rc::gen::inRange(0, 10), rc::gen::inRange(0, 10),
          rc::gen::inRange<int64_t>(1, 120), rc::gen::inRange(0, 8),
          rc::gen::weightedOneOf<int>({{8, rc::gen::inRange(1, 60)},
                                       {1, rc::gen::element(0, int(kMaxHoldTtlS), int(kMaxHoldTtlS) + 1)}}),
          rc::gen::weightedOneOf<int>(
              {{6, rc::gen::just(0)}, {3, rc::gen::inRange(1, 20)}, {1, rc::gen::inRange(20, 90)}}),
          rc::gen::weightedOneOf<int>({{4, rc::gen::just(1)}, {1, rc::gen::inRange(2, 7)}})),
      [](const auto& t) {
        auto [kind, op_pick, amount_pick, amount, hold_pick, ttl, advance, batch] = t;
        return RawStep{kind, op_pick, amount_pick, amount, hold_pick, ttl, advance, batch};
      });
}

// An edge amount for amount_pick 9.
int64_t edge_amount(int64_t seed) {
  const int64_t edges[] = {0, -1, kMaxAmountMinor, kMaxAmountMinor + 1, std::numeric_limits<int64_t>::max()};
  return edges[seed % 5];
}

// The model: one account, plain fields, written as directly as possible.
struct ModelHold {
  int64_t amount = 0;
  Millis expires_at{};
  HoldState state = HoldState::active;
};

struct Expected {
  LedgerVerdict verdict = LedgerVerdict::apply;
  std::optional<Errc> error;
};

struct Model {
  int64_t balance = 0;
  bool frozen = false;
  std::map<std::string, ModelHold> holds;
  // op_id → the op whose result was recorded, and the error that result carried
  std::map<std::string, std::pair<LedgerOp, std::optional<Errc>>> recorded;

  int64_t held() const {
    int64_t sum = 0;
    for (const auto& [id, h] : holds) sum += h.state == HoldState::active ? h.amount : 0;
    return sum;
  }
  size_t active() const {
    size_t n = 0;
    for (const auto& [id, h] : holds) n += h.state == HoldState::active;
    return n;
  }
};

Expected refuse(Errc code) { return {LedgerVerdict::refuse, code}; }

bool same_parameters(const LedgerOp& a, const LedgerOp& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case LedgerOpKind::hold:
      return a.amount_minor == b.amount_minor && a.ttl_s == b.ttl_s;
    case LedgerOpKind::capture:
      return a.hold_id == b.hold_id && a.amount_minor == b.amount_minor;
    case LedgerOpKind::void_hold:
      return a.hold_id == b.hold_id;
    default:
      return a.amount_minor == b.amount_minor && a.reason == b.reason && a.info_json == b.info_json;
  }
}

bool amount_ok(int64_t a) { return a >= 1 && a <= kMaxAmountMinor; }

// What the model says an operation does; changes the model when it applies.
Expected model_step(Model& m, const LedgerOp& op, Millis now) {
  const bool recorded_kind = records_op_id(op.kind);
  if (recorded_kind) {
    if (!valid_op_id(op.op_id)) return refuse(Errc::invalid_parameter);
    if (auto it = m.recorded.find(op.op_id); it != m.recorded.end()) {
      const auto& [first, error] = it->second;
      return same_parameters(first, op) ? Expected{LedgerVerdict::replay, error} : refuse(Errc::conflict);
    }
  }
  const int64_t available = m.balance - m.held();
  ModelHold* hold = m.holds.count(op.hold_id) ? &m.holds[op.hold_id] : nullptr;
  Expected e;
  switch (op.kind) {
    case LedgerOpKind::credit:
    case LedgerOpKind::recharge:
      if (!amount_ok(op.amount_minor)) return refuse(Errc::invalid_parameter);
      if (m.balance > std::numeric_limits<int64_t>::max() - op.amount_minor)
        return refuse(Errc::invalid_parameter);
      m.balance += op.amount_minor;
      break;
    case LedgerOpKind::debit:
    case LedgerOpKind::refund:
      if (!amount_ok(op.amount_minor)) return refuse(Errc::invalid_parameter);
      if (m.frozen && op.kind == LedgerOpKind::debit) return refuse(Errc::account_frozen);
      if (op.amount_minor > available) return refuse(Errc::insufficient_balance);
      m.balance -= op.amount_minor;
      break;
    case LedgerOpKind::hold:
      if (!amount_ok(op.amount_minor) || op.ttl_s < 1 || op.ttl_s > kMaxHoldTtlS) {
        return refuse(Errc::invalid_parameter);
      }
      if (m.frozen) return refuse(Errc::account_frozen);
      if (op.amount_minor > available) return refuse(Errc::insufficient_balance);
      if (m.active() >= kLimits.max_active_holds) return refuse(Errc::busy);
      m.holds[op.hold_id] = ModelHold{op.amount_minor, now + seconds{op.ttl_s}, HoldState::active};
      break;
    case LedgerOpKind::capture: {
      if (op.amount_minor != 0 && !amount_ok(op.amount_minor)) return refuse(Errc::invalid_parameter);
      if (!hold) return refuse(Errc::not_found);
      if (hold->state != HoldState::active) return refuse(Errc::conflict);
      if (now >= hold->expires_at) {
        hold->state = HoldState::expired;
        m.recorded[op.op_id] = {op,
                                Errc::conflict};  // an applied change records its answer, refusal included
        return {LedgerVerdict::apply, Errc::conflict};
      }
      if (m.frozen) return refuse(Errc::account_frozen);
      const int64_t take = op.amount_minor == 0 ? hold->amount : op.amount_minor;
      if (take > hold->amount) return refuse(Errc::invalid_parameter);
      hold->state = HoldState::captured;
      m.balance -= take;
      break;
    }
    case LedgerOpKind::void_hold:
      if (!hold) return refuse(Errc::not_found);
      if (hold->state != HoldState::active) return refuse(Errc::conflict);
      hold->state = HoldState::voided;
      break;
    case LedgerOpKind::expire_hold:
      if (!hold) return refuse(Errc::not_found);
      if (hold->state != HoldState::active) return {LedgerVerdict::unchanged, {}};
      if (now < hold->expires_at) return refuse(Errc::conflict);
      hold->state = HoldState::expired;
      break;
    case LedgerOpKind::freeze:
    case LedgerOpKind::unfreeze: {
      const bool to = op.kind == LedgerOpKind::freeze;
      if (m.frozen == to) return {LedgerVerdict::unchanged, {}};
      m.frozen = to;
      break;
    }
  }
  if (recorded_kind) m.recorded[op.op_id] = {op, std::nullopt};
  return e;
}

// The run: the rules' state, the model, the ledger so far, the records for replays.
struct Run {
  AccountState state;
  Model model;
  std::vector<LedgerEntry> entries;
  std::map<std::string, OpRecord> records;  // what a store would hold, by op_id
  std::vector<LedgerOp> sent;               // every op with an op_id sent so far
  int next_op = 0;
  int next_hold = 0;
  Millis now{std::chrono::milliseconds{1'800'000'000'000}};
};

std::string hold_ref(const Run& run, int pick) {
  const auto& holds = run.state.holds;
  if (pick >= int(holds.size())) return "h-unknown";
  auto it = holds.begin();
  std::advance(it, pick);
  return it->first;
}

LedgerOp make_op(Run& run, const RawStep& s) {
  LedgerOp op;
  op.kind = static_cast<LedgerOpKind>(s.kind);
  if (records_op_id(op.kind) && s.op_pick >= 6 && s.op_pick <= 8 && !run.sent.empty()) {
    op = run.sent[size_t(s.amount) % run.sent.size()];
    // Another amount under the same op id (the largest amount gets a smaller one: no overflow).
    if (s.op_pick == 8) op.amount_minor += op.amount_minor == INT64_MAX ? -1 : 1;
    if (op.kind == LedgerOpKind::hold) op.hold_id = "h" + std::to_string(run.next_hold++);
    return op;
  }
  op.op_id = s.op_pick == 9 ? "bad op id" : "op-" + std::to_string(run.next_op++);
  op.amount_minor = s.amount_pick == 9 ? edge_amount(s.amount) : s.amount;
  op.ttl_s = s.ttl_s;
  op.reason = s.amount % 3 == 0 ? "r" : "";
  op.info_json = s.amount % 4 == 0 ? R"({"n":1})" : "";
  if (op.kind == LedgerOpKind::hold) {
    op.hold_id = "h" + std::to_string(run.next_hold++);
  } else {
    op.hold_id = hold_ref(run, s.hold_pick);
    if (op.kind == LedgerOpKind::capture && s.amount_pick < 4) op.amount_minor = 0;  // whole hold
  }
  return op;
}

void check_invariants(const Run& run) {
  const Account& a = run.state.account;
  int64_t sum = 0;
  for (size_t i = 0; i < run.entries.size(); ++i) {
    const LedgerEntry& e = run.entries[i];
    RC_ASSERT(e.balance_after_minor == e.balance_before_minor + e.amount_minor);
    RC_ASSERT(e.balance_before_minor == (i == 0 ? 0 : run.entries[i - 1].balance_after_minor));
    sum += e.amount_minor;
  }
  RC_ASSERT(a.balance_minor == sum);
  RC_ASSERT(a.balance_minor == run.model.balance);
  RC_ASSERT(a.held_minor == run.model.held());
  RC_ASSERT(a.frozen == run.model.frozen);
  RC_ASSERT(a.available_minor() >= 0);
  for (const auto& [id, h] : run.model.holds) {
    RC_ASSERT(run.state.holds.count(id) == 1u);
    RC_ASSERT(run.state.holds.at(id).state == h.state);
  }
}

// Compares one decision with the model's expectation and folds it into the run.
void check_decision(Run& run, const LedgerOp& op, const LedgerDecision& d, const Expected& want,
                    int64_t version_before) {
  if (d.verdict != want.verdict || d.result.error != want.error) {
    RC_FAIL(std::string(to_string(op.kind)) + " " + op.op_id + " amount " + std::to_string(op.amount_minor) +
            ": rules said " + std::to_string(int(d.verdict)) + "/" + d.result.error_message + ", model " +
            std::to_string(int(want.verdict)) + "/" + std::to_string(want.error ? int(*want.error) : -1));
  }
  if (d.verdict == LedgerVerdict::replay) {
    const OpRecord& first = run.records.at(op.op_id);
    RC_ASSERT(d.result.account.version == first.result.account.version);
    RC_ASSERT(d.result.account.balance_minor == first.result.account.balance_minor);
    RC_ASSERT(d.result.entry.has_value() == first.result.entry.has_value());
  }
  if (d.verdict != LedgerVerdict::apply) {
    RC_ASSERT(!d.record);
    return;
  }
  RC_ASSERT(d.expected_version == version_before);
  RC_ASSERT(d.result.account.version == version_before + 1);
  RC_ASSERT(d.record.has_value() == records_op_id(op.kind));
  if (d.record) run.records[op.op_id] = *d.record;
  if (d.result.entry) run.entries.push_back(*d.result.entry);
}

void run_single(Run& run, const RawStep& s) {
  LedgerOp op = make_op(run, s);
  if (records_op_id(op.kind)) run.sent.push_back(op);
  auto stored = run.records.find(op.op_id);
  const OpRecord* record = stored == run.records.end() ? nullptr : &stored->second;
  const int64_t version = run.state.account.version;
  LedgerDecision d = decide(run.state, op, record, run.now, kLimits);
  Expected want = model_step(run.model, op, run.now);
  apply(run.state, d);
  check_decision(run, op, d, want, version);
  RC_ASSERT(run.state.account.version == version + (d.verdict == LedgerVerdict::apply ? 1 : 0));
}

// A batch of `s.batch` ops (the same step's shape with varied amounts and picks), with the
// records looked up before the batch, as the actor would.
void run_batch(Run& run, const RawStep& s) {
  std::vector<BatchItem> items;
  for (int i = 0; i < s.batch; ++i) {
    RawStep each = s;
    each.kind = (s.kind + i * 3) % 10;
    each.amount = s.amount + i * 7;
    each.hold_pick = (s.hold_pick + i) % 8;
    each.op_pick = (s.op_pick + i * 5) % 10;
    LedgerOp op = make_op(run, each);
    if (records_op_id(op.kind)) run.sent.push_back(op);
    auto stored = run.records.find(op.op_id);
    items.push_back({op, stored == run.records.end() ? std::nullopt : std::optional(stored->second)});
  }
  AccountState start = run.state;
  auto decisions = decide_batch(run.state, items, run.now, kLimits);
  RC_ASSERT(decisions.size() == items.size());
  int64_t version = start.account.version;
  for (size_t i = 0; i < items.size(); ++i) {
    Expected want = model_step(run.model, items[i].op, run.now);
    check_decision(run, items[i].op, decisions[i], want, version);
    if (decisions[i].verdict == LedgerVerdict::apply) ++version;
  }
  RC_ASSERT(run.state.account.version == version);
}

void ledger_matches_model(const std::vector<RawStep>& steps) {
  Run run;
  run.state.account = Account{"app1", "acc1", "COIN", 0, 0, false, 1, run.now, run.now};
  for (const RawStep& s : steps) {
    run.now += seconds{s.advance_s};
    if (s.batch == 1) {
      run_single(run, s);
    } else {
      run_batch(run, s);
    }
    check_invariants(run);
  }
}

// Proves the rules and the model agree and every invariant holds after every step, over
// at least 10,000 sequences (RC_PARAMS may raise the count or fix the seed).
TEST(LedgerModel, RulesMatchTheModelAndKeepEveryInvariant) {
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  params.maxSuccess = std::max(params.maxSuccess, kSequences);
  rc::detail::TestMetadata metadata;
  metadata.id = "LedgerModel/RulesMatchTheModelAndKeepEveryInvariant";
  metadata.description = "ledger rules against the model";
  auto property = [] {
    const auto steps = *rc::gen::mapcat(rc::gen::inRange(1, 31), [](int n) {
      return rc::gen::container<std::vector<RawStep>>(n, gen_step());
    });
    ledger_matches_model(steps);
  };
  const auto result = rc::detail::checkTestable(property, metadata, params);
  std::ostringstream message;
  rc::detail::printResultMessage(result, message);
  ASSERT_TRUE(result.template is<rc::detail::SuccessResult>()) << message.str();
  EXPECT_GE(result.template get<rc::detail::SuccessResult>().numSuccess, kSequences);
}

}  // namespace
}  // namespace unipay
