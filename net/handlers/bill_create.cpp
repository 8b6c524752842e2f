// POST /v1/bills: validate, price from the catalog, let the channel's adapter prepare the
// client's pay object, commit through a new bill actor, and answer 201 — or replay the first
// answer of an Idempotency-Key.
#include "actors/bill_id.hpp"
#include "net/app_spec.hpp"
#include "net/auth.hpp"
#include "net/bill_json.hpp"
#include "net/bill_request.hpp"
#include "net/channels/bill_view.hpp"
#include "net/crypto.hpp"
#include "net/handlers/handlers.hpp"
#include "net/idempotent_answer.hpp"
#include "net/provider_client.hpp"
#include "storage/app_reads.hpp"
#include "storage/bill_store.hpp"

namespace unipay::handlers {
namespace {

constexpr size_t kMaxIdempotencyKeyBytes = 255;

bool valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxIdempotencyKeyBytes) return false;
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

struct CreateAnswer {
  std::string body;
  size_t token_at = 0;  // where the client token starts in body
};

// `pay_json` is the adapter's pay object; it is part of the answer, so an Idempotency-Key
// replay (which answers the stored bytes) gives the same pay object. It is not a bill field.
CreateAnswer create_answer(const Bill& bill, const std::string& client_token, const std::string& pay_json) {
  json::Writer out;
  out.begin_object();
  out.key("bill");
  write_bill(out, bill);
  out.key("client_token");
  const size_t token_at = out.str().size() + 1;  // after the opening quote; base64url needs no escapes
  out.string(client_token);
  out.key("pay").raw(pay_json);
  out.end_object();
  return {out.take(), token_at};
}

Bill new_bill(const Call& call, const CreateRequest& r, const std::string& client_token) {
  Millis now = now_ms();
  Bill bill;
  bill.bill_id = make_bill_id(now);
  bill.app_id = call.app_id;
  bill.user_id = r.user_id;
  bill.item_id = r.item_id;
  bill.channel = r.channel;
  bill.bill_type = r.bill_type;
  bill.amount_minor = *r.amount_minor;
  bill.currency = *r.currency;
  bill.coins = r.coins.value_or(0);
  bill.passinfo = r.passinfo;
  bill.os = r.os;
  bill.app_version = r.app_version;
  bill.sdk_version = r.sdk_version;
  bill.map_user_id = r.map_user_id;
  bill.extra_json = r.extra_json;
  bill.client_token_hash = crypto::sha256_hex(client_token);
  bill.created_at = now;
  bill.expires_at = now + std::chrono::duration_cast<std::chrono::milliseconds>(call.api.config.bills.ttl_s);
  return bill;
}

std::string idempotency_key(const Call& call) { return std::string(call.request.header("idempotency-key")); }

std::string request_fingerprint(const Call& call) {
  return crypto::sha256_hex(call.request.method + "\n" + call.request.target + "\n" + call.request.body);
}

// The first answer of this key, byte for byte; another request with the key is conflict.
void answer_replay(const CallPtr& call, const storage::IdempotencyRecord& first) {
  if (first.request_sha256 != request_fingerprint(*call))
    return call->fail(Errc::conflict, "Idempotency-Key reused with another request");
  auto answer = replayed_answer(first, call->api.token_key);
  if (!answer) return call->fail(answer.error());
  call->reply(first.status, std::move(*answer));
}

// The key existed when the bill was inserted: replay the first answer.
void replay(const CallPtr& call) {
  int keep_s = static_cast<int>(call->api.config.bills.idempotency_keep_s.count());
  call->api.db->read(storage::select_idempotency(call->app_id, idempotency_key(*call), keep_s),
                     call->resume<storage::Rows>([call](Result<storage::Rows> rows) {
                       if (!rows) return call->fail(rows.error());
                       auto first = storage::parse_idempotency(*rows);
                       if (!first)
                         return call->fail(Errc::idempotency_in_flight,
                                           "the first request with this Idempotency-Key has no answer yet");
                       answer_replay(call, *first);
                     }));
}

// Before the provider is asked to prepare: a key already answered replays at once, so a
// retried create never makes a second order at the provider. A key still in flight goes on
// to the insert, which waits for the first answer (DESIGN.md §7.6).
void replay_or(const CallPtr& call, std::function<void()> fresh) {
  std::string key = idempotency_key(*call);
  if (key.empty()) return fresh();
  int keep_s = static_cast<int>(call->api.config.bills.idempotency_keep_s.count());
  call->api.db->read(storage::select_idempotency(call->app_id, key, keep_s),
                     call->resume<storage::Rows>([call, fresh](Result<storage::Rows> rows) {
                       if (!rows) return call->fail(rows.error());
                       auto first = storage::parse_idempotency(*rows);
                       if (first) return answer_replay(call, *first);
                       fresh();
                     }));
}

void commit(const CallPtr& call, Bill bill, const std::string& client_token, const std::string& pay_json) {
  auto [answer, token_at] = create_answer(bill, client_token, pay_json);
  std::optional<storage::IdempotencyRecord> record;
  std::string key = idempotency_key(*call);
  if (!key.empty()) {
    record = storage::IdempotencyRecord{call->app_id, key, request_fingerprint(*call), 201, answer, {}};
    // A database dump must not yield a usable bearer token: only the sealed one is stored.
    seal_token_in(*record, token_at, client_token, bill.bill_id, call->api.token_key);
  }
  // A deferred nonce (no key, local prepare) is recorded by the bill's own insert: one group
  // commit per creation instead of two; a replay of it creates nothing and is 401 replayed.
  std::optional<storage::NonceClaim> nonce;
  if (call->nonce_state == Call::NonceState::deferred) nonce = take_deferred_nonce(*call);
  call->api.bills->create(std::move(bill), record, std::move(nonce),
                          call->resume<CreateResult>([call, answer](Result<CreateResult> created) {
                            if (!created) return call->fail(created.error());
                            if (!created->created) return replay(call);
                            call->api.metrics->bills_created.fetch_add(1, std::memory_order_relaxed);
                            call->reply(201, answer);
                          }));
}

// The channel's pay object for the new bill (the adapter may call the provider: WeChat
// Pay's prepay), then the commit. A provider that cannot be reached is server_busy and
// nothing is created: the app retries (with its Idempotency-Key).
void prepare_then_commit(const CallPtr& call, CreateRequest request) {
  const channels::ConfiguredChannel* channel = app_channels(*call->app).find(request.channel);
  std::string client_token = crypto::random_base64url(16);  // 128 random bits
  Bill bill = new_bill(*call, request, client_token);
  const std::string& base = call->api.config.server.public_base_url;
  channels::PrepareInput input{channels::bill_view(bill),
                               base.empty() ? "" : channels::callback_url(base, bill.app_id, bill.channel)};
  channels::ChannelContext context{channel->credentials, call->api.provider_urls, unix_now_s()};
  auto step = channel->adapter->prepare(context, input);
  auto then_commit = [call, bill = std::move(bill),
                      client_token](Result<channels::PayParameters> pay) mutable {
    if (!pay) return call->fail(pay.error());
    commit(call, std::move(bill), client_token, pay->json);
  };
  // A local prepare (sandbox, apple, google...) is done here, on this io thread: no hop.
  if (step.done()) return then_commit(std::move(step).result());
  if (!call->api.providers)
    return call->fail(Errc::server_busy, "no provider client: the channel cannot prepare");
  auto prepared = call->resume<channels::PayParameters>(std::move(then_commit));
  if (call->nonce_state == Call::NonceState::deferred) {
    // The provider is about to be asked: a replay must be refused before it can make a
    // second order there, so the nonce gets its own write first (as on every route).
    auto held = std::make_shared<channels::Step<channels::PayParameters>>(std::move(step));
    return record_deferred_nonce(call, [call, held, prepared] {
      call->api.providers->run<channels::PayParameters>(std::move(*held), prepared);
    });
  }
  call->api.providers->run<channels::PayParameters>(std::move(step), std::move(prepared));
}

void on_authenticated(const CallPtr& call) {
  auto body = parse_body(call);
  if (!body) return;
  const auto& limits = call->api.config.bills;
  auto request = parse_create_request(*body, {limits.max_passinfo_bytes, limits.max_extra_bytes, 128});
  if (!request) return call->fail(request.error());
  if (!app_channels(*call->app).find(request->channel)) {
    return call->fail(Errc::invalid_parameter,
                      "channel " + request->channel + " is not configured for this app");
  }
  std::string key(call->request.header("idempotency-key"));
  if (call->request.has_header("idempotency-key") && !valid_idempotency_key(key)) {
    return call->fail(Errc::invalid_parameter, "Idempotency-Key must be 1 to 255 visible ASCII characters");
  }
  std::string item_id = request->item_id;
  auto priced = [call](CreateRequest r, const std::optional<storage::CatalogItem>& item) {
    auto settled = settle_price(std::move(r), item);
    if (!settled) return call->fail(settled.error());
    replay_or(call, [call, r = std::move(*settled)] { prepare_then_commit(call, r); });
  };
  if (auto hit = storage::cached_catalog_item(call->app_id, item_id))
    return priced(std::move(*request), *hit);
  call->api.db->read(storage::select_catalog_item(call->app_id, item_id),
                     call->resume<storage::Rows>(
                         [call, item_id, priced, request = std::move(*request)](Result<storage::Rows> rows) {
                           if (!rows) return call->fail(rows.error());
                           auto item = storage::parse_catalog_item(*rows);
                           storage::remember_catalog_item(call->app_id, item_id, item);
                           priced(request, item);
                         }));
}

}  // namespace

// The order of checks stays signature → nonce → Idempotency-Key → work (DESIGN.md §3,
// §7.6). With a key, the nonce is recorded first, as on every signed route: the key's
// stored answer may only be replayed to a request whose nonce is fresh. Without one, the
// nonce is deferred to the bill's own insert when nothing observable happens before it
// (prepare_then_commit records it alone before a provider call). Bad input refused before
// the insert changes nothing, its nonce included.
void create_bill(const CallPtr& call) {
  if (!admit_new_work(call)) return;
  if (call->request.has_header("idempotency-key"))
    return authenticate_app(call, [call] { on_authenticated(call); });
  authenticate_app_deferring_nonce(call, [call] { on_authenticated(call); });
}

}  // namespace unipay::handlers
