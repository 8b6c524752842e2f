// Admin API for deliveries: every attempt of a bill, the pending and dead-lettered delivery
// jobs (what an operator may replay), and replay. Authorization: Bearer <admin token>.
#include "actors/bill_id.hpp"
#include "net/auth.hpp"
#include "net/bill_json.hpp"
#include "net/handlers/handlers.hpp"
#include "storage/delivery_attempt_store.hpp"
#include "storage/job_store.hpp"

namespace unipay::handlers {
namespace {

// Page sizes: a bill retried for 72 h has a few hundred attempts at most.
constexpr int kDefaultAttemptLimit = 100;
constexpr int kMaxAttemptLimit = 500;
constexpr int kDefaultJobLimit = 50;
constexpr int kMaxJobLimit = 200;
// App ids are "app_" and 16 hex digits; anything far longer cannot match.
constexpr size_t kMaxAppIdBytes = 64;

void write_attempt(json::Writer& out, const storage::DeliveryAttempt& a) {
  out.begin_object();
  out.key("attempt").integer(a.attempt);
  out.key("started_at").string(format_rfc3339_ms(a.started_at));
  out.key("http_status");
  a.http_status ? out.integer(*a.http_status) : out.null();
  out.key("error");
  a.error.empty() ? out.null() : out.string(a.error);
  out.key("latency_ms");
  a.latency_ms ? out.integer(*a.latency_ms) : out.null();
  out.key("node_id").string(a.node_id);
  out.end_object();
}

std::string attempts_answer(const std::string& bill_id, const std::vector<storage::DeliveryAttempt>& attempts,
                            int limit) {
  json::Writer out;
  out.begin_object();
  out.key("bill_id").string(bill_id);
  out.key("delivery_id").string(delivery_id_for(bill_id));
  out.key("attempts").begin_array();
  const size_t shown = std::min(attempts.size(), static_cast<size_t>(limit));
  for (size_t i = 0; i < shown; ++i) write_attempt(out, attempts[i]);
  out.end_array().key("next_cursor");
  if (attempts.size() > shown) {
    out.string(std::to_string(attempts[shown - 1].attempt_id));
  } else {
    out.null();
  }
  out.end_object();
  return out.take();
}

void write_job(json::Writer& out, const storage::DeliveryJobView& v) {
  out.begin_object();
  out.key("bill_id").string(v.job.bill_id);
  out.key("app_id").string(v.app_id);
  out.key("user_id").string(v.user_id);
  out.key("delivery_id").string(delivery_id_for(v.job.bill_id));
  out.key("state").string(v.dead_at ? "dead" : "pending");
  out.key("attempts").integer(v.job.attempt);
  out.key("last_error");
  v.job.last_error.empty() ? out.null() : out.string(v.job.last_error);
  out.key("created_at").string(format_rfc3339_ms(v.job.created_at));
  out.key("next_attempt_at").string(format_rfc3339_ms(v.job.next_attempt_at));
  optional_time(out, "dead_at", v.dead_at);
  out.key("in_progress").boolean(v.lease_live);
  out.key("lease_owner");
  v.lease_owner.empty() ? out.null() : out.string(v.lease_owner);
  optional_time(out, "lease_until", v.lease_until);
  out.end_object();
}

std::string jobs_answer(const std::vector<storage::DeliveryJobView>& jobs, int limit) {
  json::Writer out;
  out.begin_object().key("deliveries").begin_array();
  const size_t shown = std::min(jobs.size(), static_cast<size_t>(limit));
  for (size_t i = 0; i < shown; ++i) write_job(out, jobs[i]);
  out.end_array().key("next_cursor");
  if (jobs.size() > shown) {
    out.string(jobs[shown - 1].job.bill_id);
  } else {
    out.null();
  }
  out.end_object();
  return out.take();
}

// ?cursor=<attempt_id>&limit=
Status read_attempt_page(const Query& query, int64_t& after_attempt_id, int& limit) {
  if (auto s = read_limit(query, kMaxAttemptLimit, limit); !s) return s;
  if (const std::string* v = find_param(query, "cursor"); v && !v->empty()) {
    auto id = parse_int(*v);
    if (!id || *id < 0) return make_error(Errc::invalid_parameter, "malformed cursor");
    after_attempt_id = *id;
  }
  return ok_status();
}

// ?kind=delivery|verify&state=dead|pending&app_id=&cursor=<bill_id>&limit=
Status read_job_filters(const Query& query, storage::DeliveryJobQuery& q) {
  using State = storage::DeliveryJobQuery::State;
  if (const std::string* v = find_param(query, "kind"); v && !v->empty()) {
    if (*v != "delivery" && *v != "verify")
      return make_error(Errc::invalid_parameter, "kind must be delivery or verify");
    q.kind = *v;
  }
  if (const std::string* v = find_param(query, "state"); v && !v->empty()) {
    if (*v == "dead") {
      q.state = State::dead;
    } else if (*v == "pending") {
      q.state = State::pending;
    } else {
      return make_error(Errc::invalid_parameter, "state must be dead or pending");
    }
  }
  if (const std::string* v = find_param(query, "app_id")) {
    if (v->size() > kMaxAppIdBytes) return make_error(Errc::invalid_parameter, "app_id is too long");
    q.app_id = *v;
  }
  if (const std::string* v = find_param(query, "cursor"); v && !v->empty()) {
    if (!looks_like_bill_id(*v)) return make_error(Errc::invalid_parameter, "malformed cursor");
    q.after_bill_id = *v;
  }
  return read_limit(query, kMaxJobLimit, q.limit);
}

std::string replay_refusal(const storage::ReplayResult& r) {
  std::string message = "delivery in progress";
  if (!r.lease_owner.empty()) message += " on " + r.lease_owner;
  if (r.lease_until) message += " (leased until " + format_rfc3339_ms(*r.lease_until) + ")";
  return message + ": replay it once the lease has run out";
}

}  // namespace

void admin_list_bill_deliveries(const CallPtr& call) {
  if (!authenticate_admin(call)) return;
  const std::string& bill_id = call->params.at(0);
  if (!looks_like_bill_id(bill_id)) return call->fail(Errc::not_found, "no such bill");
  auto query = parse_query(call);
  if (!query) return call->fail(query.error());
  int64_t after = 0;
  int limit = kDefaultAttemptLimit;
  if (auto s = read_attempt_page(*query, after, limit); !s) return call->fail(s.error());
  call->api.db->read(storage::select_delivery_attempts(bill_id, after, limit),
                     call->resume<storage::Rows>([call, bill_id, limit](Result<storage::Rows> rows) {
                       if (!rows) return call->fail(rows.error());
                       auto attempts = storage::parse_delivery_attempts(*rows);
                       if (!attempts) return call->fail(Errc::not_found, "no such bill");
                       call->reply(200, attempts_answer(bill_id, *attempts, limit));
                     }));
}

void admin_list_deliveries(const CallPtr& call) {
  if (!authenticate_admin(call)) return;
  auto query = parse_query(call);
  if (!query) return call->fail(query.error());
  storage::DeliveryJobQuery q;
  q.limit = kDefaultJobLimit;
  if (auto s = read_job_filters(*query, q); !s) return call->fail(s.error());
  call->api.db->read(storage::list_delivery_jobs(q),
                     call->resume<storage::Rows>([call, limit = q.limit](Result<storage::Rows> rows) {
                       if (!rows) return call->fail(rows.error());
                       call->reply(200, jobs_answer(storage::parse_delivery_jobs(*rows), limit));
                     }));
}

// A live lease is never reset (409): the node holding it is attempting the delivery or
// waiting for its retry, and would go on while another node claims the replayed job.
void admin_replay_delivery(const CallPtr& call) {
  if (!authenticate_admin(call)) return;
  const std::string& bill_id = call->params.at(0);
  call->api.db->write(
      {storage::replay_delivery_job("", bill_id)},
      call->resume<std::vector<storage::Rows>>([call, bill_id](auto r) {
        if (!r) return call->fail(r.error());
        auto replay = storage::parse_replay(r->front());
        using Outcome = storage::ReplayResult::Outcome;
        if (replay.outcome == Outcome::no_job)
          return call->fail(Errc::not_found, "no delivery job for this bill");
        if (replay.outcome == Outcome::lease_live) return call->fail(Errc::conflict, replay_refusal(replay));
        json::Writer out;
        out.begin_object().key("bill_id").string(bill_id).key("replayed").boolean(true).end_object();
        call->reply(200, out.take());
      }));
}

}  // namespace unipay::handlers
