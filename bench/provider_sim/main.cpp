// unipay-provider-sim: Alipay's gateway, WeChat Pay's API v3, the App Store Server API, the
// Play Developer API (with OAuth and Pub/Sub pushes) and Stripe on loopback, with a control
// API to make merchants, mark orders and send signed notifications (docs/CHANNELS.md).
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <string>

#include "bench/provider_sim/provider_sim.hpp"
#include "config/config.hpp"

int main(int argc, char** argv) {
  CLI::App app{"payment provider simulator (Alipay, WeChat Pay, App Store, Google Play, Stripe) for unipay",
               "unipay-provider-sim"};
  std::string listen = "127.0.0.1:9100";
  int threads = 2;
  app.add_option("--listen", listen, "HOST:PORT to serve on (port 0: any free port)");
  app.add_option("--threads", threads, "io threads (1..64)")->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);
  auto address = unipay::config::parse_host_port(listen);
  if (!address && listen.ends_with(":0"))
    address = unipay::config::HostPort{listen.substr(0, listen.size() - 2), 0};
  if (!address) {
    std::fprintf(stderr, "--listen: %s\n", address.error().message.c_str());
    return 2;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before the io threads start: they inherit it
  auto sim = unipay::sim::ProviderSim::start({address->host, address->port, threads});
  if (!sim) {
    std::fprintf(stderr, "cannot listen on %s: %s\n", listen.c_str(), sim.error().message.c_str());
    return 1;
  }
  // Every unipayd flag that points a channel here (Apple, Google and Stripe are served at the root).
  const std::string base = (*sim)->base_url();
  std::printf("unipay-provider-sim listening on %s\n", base.c_str());
  std::printf("  --providers-alipay-url %s\n  --providers-wechatpay-url %s\n", (*sim)->alipay_url().c_str(),
              (*sim)->wechatpay_url().c_str());
  for (const char* flag : {"--providers-apple-production-url", "--providers-apple-sandbox-url",
                           "--providers-google-url", "--providers-stripe-url"})
    std::printf("  %s %s\n", flag, base.c_str());
  std::fflush(stdout);
  int signal_number = 0;
  sigwait(&stop, &signal_number);
  (*sim)->stop();
  return 0;
}
