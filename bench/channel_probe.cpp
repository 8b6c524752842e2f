#include "bench/channel_probe.hpp"

#include <cstdio>
#include <memory>

#include "bench/provider_payer.hpp"

namespace unipay::bench {

namespace {

constexpr auto kProbeBound = std::chrono::seconds(30);

struct Probe {
  bool done = false;
  std::string failure;  // "" when the bill went through
};

void fail(const std::shared_ptr<Probe>& probe, std::string why) {
  probe->done = true;
  probe->failure = std::move(why);
}

void post_notification(Context& ctx, const std::string& channel, const std::shared_ptr<Probe>& probe,
                       ClientRequest notification) {
  ctx.client.send(std::move(notification), [channel, probe](ClientResponse r) {
    if (ProviderPayer::accepted(channel, r)) return fail(probe, "");
    fail(probe, "its notification was answered " + answer_error_kind(r) + " " + r.body +
                    (r.status == 404 ? " (no route POST /v1/callbacks/{app_id}/" + channel + "?)" : ""));
  });
}

}  // namespace

bool probe_channel(Context& ctx, const std::string& channel) {
  auto probe = std::make_shared<Probe>();
  std::string nonce;
  ClientRequest create = create_bill_request(ctx.app, "probe", nonce, channel);  // fills nonce first
  ctx.client.send(std::move(create), [&ctx, channel, probe, nonce](ClientResponse r) {
    CreatedBill bill;
    std::string kind;
    if (!parse_create_answer(r, ctx.app, nonce, bill, kind))
      return fail(probe, "creating it: " + kind + " " + r.body);
    if (channel == "alipay" && bill.order_string.empty())
      return fail(probe, "its answer has no pay.order_string");
    if (channel == "apple" && bill.app_account_token.empty())
      return fail(probe, "its answer has no pay.app_account_token");
    ctx.payer->pay(channel, ctx.app.app_id, bill,
                   [&ctx, channel, probe](bool ok, ClientRequest n, std::string why) {
                     if (!ok) return fail(probe, "paying it at the simulator: " + why);
                     post_notification(ctx, channel, probe, std::move(n));
                   });
  });
  ctx.loop.run_while([&] { return !probe->done; }, Clock::now() + kProbeBound);
  if (probe->done && probe->failure.empty()) return true;
  std::fprintf(stderr,
               "unipay-bench: one %s bill could not be taken through the channel: %s.\n"
               "  --channel %s needs a unipayd with that channel end to end (issue 12: bill creation through "
               "the adapter's prepare, POST /v1/callbacks/{app_id}/{channel})\n",
               channel.c_str(), probe->done ? probe->failure.c_str() : "no answer in time", channel.c_str());
  return false;
}

}  // namespace unipay::bench
