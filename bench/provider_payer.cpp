#include "bench/provider_payer.hpp"

#include <optional>

#include "bench/spawn.hpp"
#include "net/json.hpp"

namespace unipay::bench {

namespace {

constexpr double kSimStartTimeoutS = 30;
constexpr auto kSetupTimeout = std::chrono::seconds(30);
constexpr std::string_view kListening = "listening on ";
// The bench's App Store app: its one product is the item every bench bill sells.
constexpr std::string_view kAppleBundle = "com.unipay.bench";
constexpr std::string_view kAppleEnvironment = "Sandbox";
constexpr std::string_view kAppleProduct = "com.unipay.bench.gem_pack";
constexpr std::string_view kBenchItem = "gem_pack";  // create_bill_request's item
// google: the bench's Play app, its product for the bench's item, its push audience.
constexpr std::string_view kGooglePackage = "com.unipay.bench";
constexpr std::string_view kGoogleProduct = "bench_gems";
constexpr std::string_view kGoogleAudience = "https://unipay-bench.invalid/pubsub";

std::string sim_error_kind(const char* what, const ClientResponse& r) {
  return std::string("provider_sim:") + what + ":" +
         (r.status == 0 ? "no_answer:" + r.error : "http_" + std::to_string(r.status));
}

int64_t unix_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The JSON body of a 200 answer, or nothing.
std::optional<json::Value> ok_body(const ClientResponse& r) {
  if (r.status != 200) return std::nullopt;
  auto body = json::parse(r.body);
  if (!body) return std::nullopt;
  return std::move(*body);
}

}  // namespace

bool simulated_channel(const std::string& channel) {
  return channel == "alipay" || channel == "wechatpay" || channel == "apple" || channel == "stripe" ||
         channel == "google";
}

std::unique_ptr<SpawnedSim> SpawnedSim::start(const std::string& binary, std::string& error) {
  std::unique_ptr<SpawnedSim> sim(new SpawnedSim());
  std::string line;
  sim->pid_ = spawn_with_first_line({binary, "--listen", "127.0.0.1:0", "--threads", "1"},
                                    "/tmp/unipay-bench-provider-sim.log", line, kSimStartTimeoutS);
  auto at = line.find(kListening);
  if (sim->pid_ <= 0 || at == std::string::npos) {
    error = "cannot start " + binary + " (log: /tmp/unipay-bench-provider-sim.log)";
    return nullptr;
  }
  sim->url_ = line.substr(at + kListening.size());
  return sim;
}

SpawnedSim::~SpawnedSim() { stop(); }

void SpawnedSim::stop() {
  if (pid_ > 0) terminate_process(pid_, 10);
  pid_ = 0;
}

std::vector<std::string> provider_server_args(const std::string& sim_url) {
  return {"--providers-alipay-url=" + sim_url + "/gateway.do",
          "--providers-wechatpay-url=" + sim_url,
          "--providers-stripe-url=" + sim_url,
          "--providers-apple-sandbox-url=" + sim_url,
          "--providers-apple-production-url=" + sim_url,
          "--providers-google-url=" + sim_url,
          "--allow-private-providers"};
}

ProviderPayer::ProviderPayer(Loop& loop, Endpoint sim) : loop_(loop), client_(loop, std::move(sim), {}) {
  // appends: g++ 12 warns falsely (-Wrestrict) on "lit" + std::string
  transaction_prefix_.append("2").append(std::to_string(unix_s() % 100000000));
}
ProviderPayer::~ProviderPayer() = default;

// What the simulator makes for a channel: a merchant; apple: an App Store app; google: a Play
// app (a service account, the simulator's push key).
ClientRequest merchant_request(const std::string& channel) {
  json::Writer w;
  if (channel == "apple") {  // an App Store app selling the bench's item
    w.begin_object().key("bundle_id").string(kAppleBundle).key("environment").string(kAppleEnvironment);
    w.key("products").begin_object().key(kAppleProduct).string(kBenchItem).end_object().end_object();
    return json_post("/sim/apple/credentials", w.take());
  }
  if (channel != "google") {
    w.begin_object().key("channel").string(channel).end_object();
    return json_post("/sim/merchants", w.take());
  }
  w.begin_object().key("package_name").string(kGooglePackage).key("pubsub_audience").string(kGoogleAudience);
  w.key("products").begin_object().key(kGoogleProduct).string(kBenchItem).end_object().end_object();
  return json_post("/sim/google/credentials", w.take());
}

bool ProviderPayer::make_merchant(const std::string& channel, ChannelCredentials& out, std::string& error) {
  bool done = false;
  client_.send(merchant_request(channel), [&](ClientResponse r) {
    done = true;
    auto body = ok_body(r);
    const json::Value* credentials = body ? json_member(&*body, "credentials") : nullptr;
    std::string merchant = body ? json_string(&*body, "merchant") : std::string();
    if (channel == "apple") merchant = kAppleBundle;
    if (channel == "google") merchant = kGooglePackage;
    if (!credentials || !credentials->is_object() || merchant.empty()) {
      error = sim_error_kind("merchants", r) + " " + r.body;
      return;
    }
    merchants_[channel] = merchant;
    out = ChannelCredentials{channel, json::serialize(*credentials)};
  });
  loop_.run_while([&] { return !done; }, Clock::now() + kSetupTimeout);
  if (!done) error = "the provider simulator did not answer";
  return done && error.empty();
}

void ProviderPayer::pay(const std::string& channel, const std::string& app_id, const CreatedBill& bill,
                        Done done) {
  if (channel == "apple") return store_purchase(bill, std::move(done));
  if (channel == "google") return pay_google(app_id, bill, std::move(done));
  json::Writer w;
  w.begin_object().key("channel").string(channel);
  if (channel == "alipay") {
    w.key("order_string").string(bill.order_string);  // the payer's app submits what unipay signed
  } else {
    w.key("merchant")
        .string(merchants_[channel])
        .key("bill_id")
        .string(bill.bill_id)
        .key("state")
        .string("paid");
  }
  w.end_object();
  client_.send(json_post("/sim/orders", w.take()), [this, channel, app_id, bill_id = bill.bill_id,
                                                    done = std::move(done)](ClientResponse r) mutable {
    if (r.status != 200) return done(false, {}, sim_error_kind("orders", r));
    notification(channel, app_id, bill_id, std::move(done));
  });
}

// The provider's notification of the payment, signed but not sent (send: false).
void ProviderPayer::notification(const std::string& channel, const std::string& app_id,
                                 const std::string& bill_id, Done done) {
  json::Writer w;
  w.begin_object().key("channel").string(channel).key("merchant").string(merchants_[channel]);
  w.key("bill_id").string(bill_id).key("send").boolean(false).end_object();
  client_.send(json_post("/sim/notify", w.take()),
               [channel, app_id, done = std::move(done)](ClientResponse r) {
                 auto body = ok_body(r);
                 const json::Value* headers = body ? json_member(&*body, "headers") : nullptr;
                 if (!headers || !headers->is_object()) return done(false, {}, sim_error_kind("notify", r));
                 ClientRequest n;
                 n.method = "POST";
                 n.target = "/v1/callbacks/" + app_id + "/" + channel;
                 n.body = json_string(&*body, "body");
                 for (const auto& [name, value] : headers->members) {
                   if (value.kind == json::Value::Kind::string) n.headers.emplace_back(name, value.string);
                 }
                 done(true, std::move(n), "");
               });
}

// The player buys through StoreKit: the App Store signs the transaction for the bill's
// appAccountToken (and records it for lookups); the client submits it to unipay.
void ProviderPayer::store_purchase(const CreatedBill& bill, Done done) {
  json::Writer w;
  w.begin_object().key("bundle_id").string(kAppleBundle).key("environment").string(kAppleEnvironment);
  w.key("product_id").string(kAppleProduct).key("app_account_token").string(bill.app_account_token);
  std::string transaction_id = transaction_prefix_;
  transaction_id.append(std::to_string(1000000 + ++transactions_));
  w.key("transaction_id").string(transaction_id).end_object();
  client_.send(json_post("/sim/apple/transaction", w.take()),
               [bill, done = std::move(done)](ClientResponse r) {
                 auto body = ok_body(r);
                 const std::string jws = body ? json_string(&*body, "jws") : std::string();
                 if (jws.empty()) return done(false, {}, sim_error_kind("apple_transaction", r));
                 json::Writer receipt;
                 receipt.begin_object().key("receipt").string(jws).end_object();
                 ClientRequest verify;
                 verify.method = "POST";
                 verify.target = "/v1/bills/" + bill.bill_id + "/verify";
                 verify.body = receipt.take();
                 verify.headers.emplace_back("Content-Type", "application/json");
                 verify.headers.emplace_back("Authorization", "Bearer " + bill.client_token);
                 done(true, std::move(verify), "");
               });
}

// Google Play: the player buys (a purchase naming the bill), then Pub/Sub's push of the
// purchase notification, OIDC-signed but not sent: unipay asks the Play API when it gets it.
void ProviderPayer::pay_google(const std::string& app_id, const CreatedBill& bill, Done done) {
  json::Writer w;
  w.begin_object().key("package_name").string(kGooglePackage).key("product_id").string(kGoogleProduct);
  w.key("obfuscated_account_id").string(bill.bill_id).end_object();
  auto purchase = json_post("/sim/google/purchases", w.take());
  client_.send(std::move(purchase), [this, app_id, done = std::move(done)](ClientResponse r) {
    auto body = ok_body(r);
    const std::string token = body ? json_string(&*body, "token") : std::string();
    if (token.empty()) return done(false, {}, sim_error_kind("google_purchases", r));
    json::Writer push;
    push.begin_object().key("token").string(token).key("type").string("purchased");
    push.key("audience").string(kGoogleAudience).end_object();
    client_.send(json_post("/sim/google/notify", push.take()), [app_id, done](ClientResponse n) {
      auto pushed = ok_body(n);
      const json::Value* headers = pushed ? json_member(&*pushed, "headers") : nullptr;
      if (!headers || !headers->is_object()) return done(false, {}, sim_error_kind("google_notify", n));
      ClientRequest request;
      request.method = "POST";
      request.target = "/v1/callbacks/" + app_id + "/google";
      request.body = json_string(&*pushed, "body");
      for (const auto& [name, value] : headers->members)
        if (value.kind == json::Value::Kind::string) request.headers.emplace_back(name, value.string);
      done(true, std::move(request), "");
    });
  });
}

bool ProviderPayer::accepted(const std::string& channel, const ClientResponse& r) {
  if (channel == "alipay") return r.status == 200 && r.body == "success";
  if (channel == "wechatpay" || channel == "google") return r.status == 204;
  return r.status == 200;
}

}  // namespace unipay::bench
