// GET /v1/bills/{id}, GET /v1/bills/{id}/result (long poll), GET /v1/bills (list).
#include "actors/bill_id.hpp"
#include "net/auth.hpp"
#include "net/bill_json.hpp"
#include "net/handlers/handlers.hpp"
#include "storage/bill_store.hpp"

namespace unipay::handlers {
namespace {

constexpr int kDefaultListLimit = 50;
constexpr int kMaxListLimit = 200;

struct WaitParams {
  std::chrono::milliseconds timeout;
  WaitUntil until = WaitUntil::paid;
};

Result<WaitParams> wait_params(const CallPtr& call) {
  auto query = parse_query(call);
  if (!query) return query.error();
  const auto& server = call->api.config.server;
  WaitParams p{std::chrono::duration_cast<std::chrono::milliseconds>(server.longpoll_default_s)};
  if (const std::string* t = find_param(*query, "timeout")) {
    auto seconds = parse_int(*t);
    if (!seconds || *seconds < 0 || *seconds > server.longpoll_max_s.count()) {
      return make_error(Errc::invalid_parameter, "timeout must be whole seconds from 0 to " +
                                                     std::to_string(server.longpoll_max_s.count()));
    }
    p.timeout = std::chrono::seconds(*seconds);
  }
  if (const std::string* u = find_param(*query, "until")) {
    if (*u == "delivered") {
      p.until = WaitUntil::delivered;
    } else if (*u != "paid") {
      return make_error(Errc::invalid_parameter, "until must be paid or delivered");
    }
  }
  return p;
}

std::string wait_answer(const WaitResult& w) {
  json::Writer out;
  out.begin_object().key("bill");
  write_bill(out, w.bill);
  out.key("timed_out").boolean(w.timed_out);
  out.end_object();
  return out.take();
}

Status read_list_filters(const Query& query, storage::BillQuery& q) {
  if (const std::string* v = find_param(query, "user_id")) q.user_id = *v;
  if (const std::string* v = find_param(query, "channel")) q.channel = *v;
  if (const std::string* v = find_param(query, "state")) {
    q.state = parse_bill_state(*v);
    if (!q.state) return make_error(Errc::invalid_parameter, "unknown state: " + *v);
  }
  for (auto [name, field] : {std::pair{"from", &q.from}, std::pair{"to", &q.to}}) {
    if (const std::string* v = find_param(query, name)) {
      *field = parse_rfc3339(*v);
      if (!*field)
        return make_error(Errc::invalid_parameter, std::string(name) + " must be an RFC 3339 time");
    }
  }
  if (auto s = read_limit(query, kMaxListLimit, q.limit); !s) return s;
  if (const std::string* v = find_param(query, "cursor"); v && !v->empty()) {
    if (!looks_like_bill_id(*v)) return make_error(Errc::invalid_parameter, "malformed cursor");
    q.after_bill_id = *v;
  }
  return ok_status();
}

std::string list_answer(const storage::Rows& rows, int limit) {
  json::Writer out;
  out.begin_object().key("bills").begin_array();
  size_t shown = std::min(rows.size(), static_cast<size_t>(limit));
  std::string last;
  for (size_t i = 0; i < shown; ++i) {
    auto bill = storage::parse_bill(rows, i);
    if (!bill) continue;
    write_bill(out, *bill);
    last = bill->bill_id;
  }
  out.end_array().key("next_cursor");
  if (rows.size() > shown) {
    out.string(last);
  } else {
    out.null();
  }
  out.end_object();
  return out.take();
}

bool known_bill_id(const CallPtr& call) {
  if (looks_like_bill_id(call->params.at(0))) return true;
  call->fail(Errc::not_found, "no such bill");
  return false;
}

}  // namespace

void get_bill(const CallPtr& call) {
  if (!known_bill_id(call)) return;
  authorize_bill(call, call->params[0], true, [call](Bill bill) { call->reply(200, bill_envelope(bill)); });
}

void wait_bill(const CallPtr& call) {
  if (!known_bill_id(call)) return;
  auto params = wait_params(call);
  if (!params) return call->fail(params.error());
  authorize_bill(call, call->params[0], true, [call, p = *params](Bill bill) {
    Metrics* metrics = call->api.metrics;
    metrics->longpolls_open.fetch_add(1, std::memory_order_relaxed);
    BillService* bills = call->api.bills;
    const uint64_t wait_id =
        bills->wait(bill.bill_id, p.until, p.timeout, call->resume<WaitResult>([call](Result<WaitResult> w) {
          call->api.metrics->longpolls_open.fetch_sub(1, std::memory_order_relaxed);
          if (!w) return call->fail(w.error());
          call->reply(200, wait_answer(*w));
        }));
    // A client that goes away frees its waiter at once (the actor answers it, which closes
    // the gauge above), not at the deadline. Holds no Call: nothing keeps it alive.
    call->on_client_gone([bills, metrics, bill_id = bill.bill_id, wait_id] {
      metrics->longpolls_abandoned.fetch_add(1, std::memory_order_relaxed);
      bills->abandon_wait(bill_id, wait_id);
    });
  });
}

void list_bills(const CallPtr& call) {
  if (!admit_new_work(call)) return;
  authenticate_app(call, [call] {
    auto query = parse_query(call);
    if (!query) return call->fail(query.error());
    storage::BillQuery q;
    q.app_id = call->app_id;
    q.limit = kDefaultListLimit;
    if (auto s = read_list_filters(*query, q); !s) return call->fail(s.error());
    call->api.db->read(storage::list_bills(q),
                       call->resume<storage::Rows>([call, limit = q.limit](Result<storage::Rows> rows) {
                         if (!rows) return call->fail(rows.error());
                         call->reply(200, list_answer(*rows, limit));
                       }));
  });
}

}  // namespace unipay::handlers
