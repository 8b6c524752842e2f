// POST /v1/bills: validate, price from the catalog, commit through a new bill actor, and
// answer 201 — or replay the first answer of an Idempotency-Key.
#include "actors/bill_id.hpp"
#include "net/auth.hpp"
#include "net/bill_json.hpp"
#include "net/bill_request.hpp"
#include "net/crypto.hpp"
#include "net/handlers/handlers.hpp"
#include "net/idempotent_answer.hpp"
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

CreateAnswer create_answer(const Bill& bill, const std::string& client_token) {
  json::Writer out;
  out.begin_object();
  out.key("bill");
  write_bill(out, bill);
  out.key("client_token");
  const size_t token_at = out.str().size() + 1;  // after the opening quote; base64url needs no escapes
  out.string(client_token);
  out.key("pay").begin_object();
  out.key("channel").string(bill.channel);
  out.key("bill_id").string(bill.bill_id);
  out.key("amount").integer(bill.amount_minor);
  out.key("currency").string(bill.currency);
  out.key("callback_path").string("/v1/callbacks/" + bill.app_id + "/" + bill.channel);
  out.end_object();
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

// The key existed: same request → the first answer, byte for byte; another → conflict.
void replay(const CallPtr& call, const storage::IdempotencyRecord& ours) {
  int keep_s = static_cast<int>(call->api.config.bills.idempotency_keep_s.count());
  call->api.db->read(storage::select_idempotency(ours.app_id, ours.key, keep_s),
                     call->resume<storage::Rows>([call, ours](Result<storage::Rows> rows) {
                       if (!rows) return call->fail(rows.error());
                       auto first = storage::parse_idempotency(*rows);
                       if (!first)
                         return call->fail(Errc::idempotency_in_flight,
                                           "the first request with this Idempotency-Key has no answer yet");
                       if (first->request_sha256 != ours.request_sha256) {
                         return call->fail(Errc::conflict, "Idempotency-Key reused with another request");
                       }
                       auto answer = replayed_answer(*first, call->api.token_key);
                       if (!answer) return call->fail(answer.error());
                       call->reply(first->status, std::move(*answer));
                     }));
}

void commit(const CallPtr& call, CreateRequest request) {
  std::string client_token = crypto::random_base64url(16);  // 128 random bits
  Bill bill = new_bill(*call, request, client_token);
  auto [answer, token_at] = create_answer(bill, client_token);
  std::optional<storage::IdempotencyRecord> record;
  std::string key(call->request.header("idempotency-key"));
  if (!key.empty()) {
    std::string fingerprint = call->request.method + "\n" + call->request.target + "\n" + call->request.body;
    record = storage::IdempotencyRecord{call->app_id, key, crypto::sha256_hex(fingerprint), 201, answer, {}};
    // A database dump must not yield a usable bearer token: only the sealed one is stored.
    seal_token_in(*record, token_at, client_token, bill.bill_id, call->api.token_key);
  }
  call->api.bills->create(std::move(bill), record,
                          call->resume<CreateResult>([call, record, answer](Result<CreateResult> created) {
                            if (!created) return call->fail(created.error());
                            if (!created->created) return replay(call, *record);
                            call->api.metrics->bills_created.fetch_add(1, std::memory_order_relaxed);
                            call->reply(201, answer);
                          }));
}

bool channel_configured(const storage::App& app, const std::string& channel) {
  auto channels = json::parse(app.channels_json);
  return channels && channels->find(channel) != nullptr;
}

void on_authenticated(const CallPtr& call) {
  auto body = parse_body(call);
  if (!body) return;
  const auto& limits = call->api.config.bills;
  auto request = parse_create_request(*body, {limits.max_passinfo_bytes, limits.max_extra_bytes, 128});
  if (!request) return call->fail(request.error());
  if (request->channel != "sandbox")
    return call->fail(Errc::invalid_parameter, "unsupported channel: " + request->channel);
  if (!channel_configured(*call->app, request->channel)) {
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
    commit(call, std::move(*settled));
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

void create_bill(const CallPtr& call) {
  if (!admit_new_work(call)) return;
  authenticate_app(call, [call] { on_authenticated(call); });
}

}  // namespace unipay::handlers
