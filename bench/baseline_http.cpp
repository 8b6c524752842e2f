// bench/baseline_http: the bare Beast "200 OK" server unipay-bench drives with the same client
// code as unipayd, so its rate is this machine's ceiling for one HTTP request over loopback
// with the same number of io threads. Prints "baseline_http listening on HOST:PORT", then
// serves until SIGTERM or SIGINT.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/mini_server.hpp"

int main(int argc, char** argv) {
  CLI::App app{"bench/baseline_http: minimal Beast HTTP/1.1 server answering 200 {\"ok\":true}"};
  std::string host = "127.0.0.1";
  int port = 0;
  int threads = 1;
  app.add_option("--host", host, "address to listen on (loopback)");
  app.add_option("--port", port, "port; 0 picks a free one")->check(CLI::Range(0, 65535));
  app.add_option("--threads", threads, "io threads")->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);

  // Blocked before the io threads start, so they inherit the mask and only sigwait sees them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  std::string error;
  auto server = unipay::bench::MiniServer::start(
      host, static_cast<uint16_t>(port), threads,
      [](const unipay::bench::MiniRequest&) { return unipay::bench::MiniResponse{}; }, error);
  if (!server) {
    std::fprintf(stderr, "baseline_http: %s\n", error.c_str());
    return 1;
  }
  std::printf("baseline_http listening on %s:%u\n", host.c_str(), server->port());
  std::fflush(stdout);
  int signal_number = 0;
  sigwait(&stop, &signal_number);
  std::fprintf(stderr, "baseline_http: %llu requests\n", static_cast<unsigned long long>(server->requests()));
  server->stop();
  return 0;
}
