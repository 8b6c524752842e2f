// One HTTP call through unipay's real client, waited for in a test: fails the test when no
// answer comes within 10 s or the call fails. Shared by the simulator tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <utility>

#include "actors/delivery_transport.hpp"

namespace unipay::test_support {

inline OutboundResponse call_through(DeliveryTransport& transport, OutboundRequest request) {
  auto promise = std::make_shared<std::promise<Result<OutboundResponse>>>();
  auto future = promise->get_future();
  request.kept_body_bytes = 1 << 20;
  transport.post(std::move(request),
                 [promise](Result<OutboundResponse> r) { promise->set_value(std::move(r)); });
  EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto result = future.get();
  EXPECT_TRUE(result.ok()) << result.error().message;
  return result ? *result : OutboundResponse{};
}

}  // namespace unipay::test_support
