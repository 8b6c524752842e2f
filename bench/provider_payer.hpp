// The payer and the provider of a real channel (alipay, wechatpay, apple, stripe, google) in the
// lifecycle scenario, played by unipay-provider-sim (bench/provider_sim/): the simulator is
// started here (--spawn) or reached at --provider-sim URL; a merchant (apple: an App Store
// app) is made per channel, whose credentials go into the bench's app; a bill is paid at the
// provider (Alipay: the payer's app submits the bill's signed order_string, whose RSA2
// signature the simulator checks; WeChat Pay, Stripe: the order or PaymentIntent unipay
// prepared is marked paid), and the provider's notification, signed like the provider's
// (RSA; WeChat Pay also AES-GCM; Stripe HMAC), is fetched unsent so the bench posts it to
// unipay itself: the `callback` step then times unipay alone, as with the sandbox. Apple has
// no payment notification to wait for: StoreKit hands the player a transaction signed by the
// App Store (made by the simulator for the bill's appAccountToken), and the `callback` step
// is the client's POST /v1/bills/{id}/verify with it.
// Google Play: the player's purchase names the bill, and the notification is Pub/Sub's push
// (OIDC-signed); its `callback` step includes unipay's Play API query and acknowledgement.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/http_client.hpp"
#include "bench/loop.hpp"
#include "bench/unipay_api.hpp"

namespace unipay::bench {

// Is this a channel the simulator plays (not the sandbox)?
bool simulated_channel(const std::string& channel);

// unipay-provider-sim started here: `--listen 127.0.0.1:0`, stopped with SIGTERM.
class SpawnedSim {
 public:
  static std::unique_ptr<SpawnedSim> start(const std::string& binary, std::string& error);
  ~SpawnedSim();
  SpawnedSim(const SpawnedSim&) = delete;
  SpawnedSim& operator=(const SpawnedSim&) = delete;
  const std::string& url() const { return url_; }  // http://127.0.0.1:PORT
  int pid() const { return pid_; }
  void stop();

 private:
  SpawnedSim() = default;
  int pid_ = 0;
  std::string url_;
};

// unipayd flags that point it at the simulator (every provider's URL, loopback allowed).
std::vector<std::string> provider_server_args(const std::string& sim_url);

class ProviderPayer {
 public:
  ProviderPayer(Loop& loop, Endpoint sim);
  ~ProviderPayer();
  ProviderPayer(const ProviderPayer&) = delete;
  ProviderPayer& operator=(const ProviderPayer&) = delete;

  // POST /sim/merchants (blocking, bounded): the channel's credentials for the app.
  bool make_merchant(const std::string& channel, ChannelCredentials& out, std::string& error);

  // Pays the bill at the provider and gets the signed notification as a request to
  // POST /v1/callbacks/{app_id}/{channel}; `done` gets it, or an error kind.
  using Done = std::function<void(bool ok, ClientRequest notification, std::string error_kind)>;
  void pay(const std::string& channel, const std::string& app_id, const CreatedBill& bill, Done done);

  // The channel's own answer for an accepted notification: Alipay 200 "success", WeChat Pay
  // 204, Stripe 200, Google (Pub/Sub push) 204; apple: the verify's 200.
  static bool accepted(const std::string& channel, const ClientResponse& r);

  ClientCounters counters() const { return client_.counters(); }

 private:
  void notification(const std::string& channel, const std::string& app_id, const std::string& bill_id,
                    Done done);
  void store_purchase(const CreatedBill& bill, Done done);
  void pay_google(const std::string& app_id, const CreatedBill& bill, Done done);

  Loop& loop_;
  HttpClient client_;
  std::map<std::string, std::string> merchants_;  // channel → merchant id (apple: the bundle id)
  uint64_t transactions_ = 0;                     // apple: purchases made, for their ids
  std::string transaction_prefix_;                // apple: random digits, unique per bench run
};

}  // namespace unipay::bench
