// unipay-provider-sim as a library: one loopback HTTP server that plays Alipay's gateway
// (POST /gateway.do), WeChat Pay's API v3 (/v3/...) and a control API (/sim/...), with the
// keys of every merchant made at run time. Tests start it in-process; the executable
// (bench/provider_sim/main.cpp) serves it to developers and the bench.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bench/provider_sim/sim_state.hpp"
#include "config/result.hpp"

namespace unipay::sim {

struct SimOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port
  int io_threads = 2;
};

class ProviderSim {
 public:
  static Result<std::unique_ptr<ProviderSim>> start(const SimOptions& options);
  ~ProviderSim();
  ProviderSim(const ProviderSim&) = delete;
  ProviderSim& operator=(const ProviderSim&) = delete;

  uint16_t port() const;
  std::string base_url() const;       // http://host:port
  std::string alipay_url() const;     // for providers.alipay_url: base_url() + "/gateway.do"
  std::string wechatpay_url() const;  // for providers.wechatpay_url: base_url()
  SimState& state();
  void stop();

 private:
  ProviderSim() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace unipay::sim
