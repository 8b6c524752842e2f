// net/delivery_memory: the per-node memory of answered Pub/Sub messageIds (issue 9.3).
#include "net/delivery_memory.hpp"

#include <gtest/gtest.h>

#include <string>

namespace unipay {
namespace {

using namespace std::chrono_literals;
using Clock = DeliveryMemory::Clock;

// Proves: only a delivery answered 2xx is remembered; one refused (4xx) or failed (5xx) is
// not, so its redelivery is handled again.
TEST(DeliveryMemory, RemembersOnlyDeliveriesAnswered2xx) {
  DeliveryMemory m(600s, 100);
  const auto t0 = Clock::now();
  m.note_answer("app1", "m-400", 400, t0);
  m.note_answer("app1", "m-503", 503, t0);
  m.note_answer("app1", "m-429", 429, t0);
  EXPECT_FALSE(m.answered("app1", "m-400", t0));
  EXPECT_FALSE(m.answered("app1", "m-503", t0));
  EXPECT_FALSE(m.answered("app1", "m-429", t0));
  EXPECT_FALSE(m.answered("app1", "m-204", t0));
  m.note_answer("app1", "m-204", 204, t0);
  EXPECT_TRUE(m.answered("app1", "m-204", t0 + 1s));
  m.note_answer("app1", "m-200", 200, t0);
  EXPECT_TRUE(m.answered("app1", "m-200", t0 + 1s));
  EXPECT_EQ(m.size(), 2u);
}

// Proves: an id is per app (another app's same messageId is not a repeat), and an empty or
// over-long id is never remembered.
TEST(DeliveryMemory, IdsArePerAppAndBounded) {
  DeliveryMemory m(600s, 100);
  const auto t0 = Clock::now();
  m.note_answer("app1", "42", 204, t0);
  EXPECT_TRUE(m.answered("app1", "42", t0));
  EXPECT_FALSE(m.answered("app2", "42", t0));
  m.note_answer("app1", "", 204, t0);
  EXPECT_FALSE(m.answered("app1", "", t0));
  const std::string long_id(DeliveryMemory::kMaxDeliveryIdBytes + 1, '7');
  m.note_answer("app1", long_id, 204, t0);
  EXPECT_FALSE(m.answered("app1", long_id, t0));
  EXPECT_EQ(m.size(), 1u);
}

// Proves: a remembered id is forgotten once the ttl has passed (a later repeat is checked
// with the provider again).
TEST(DeliveryMemory, ForgetsAfterTheTtl) {
  DeliveryMemory m(600s, 100);
  const auto t0 = Clock::now();
  m.note_answer("app1", "42", 204, t0);
  EXPECT_TRUE(m.answered("app1", "42", t0 + 600s));
  EXPECT_FALSE(m.answered("app1", "42", t0 + 601s));
}

// Proves: the memory never holds more than its entry limit (full, it starts over: the ids
// it dropped only cost a provider call again).
TEST(DeliveryMemory, NeverHoldsMoreThanItsLimit) {
  DeliveryMemory m(600s, 3);
  const auto t0 = Clock::now();
  for (int i = 0; i < 10; ++i) {
    m.note_answer("app1", std::to_string(i), 204, t0);
    EXPECT_LE(m.size(), 3u);
  }
  EXPECT_TRUE(m.answered("app1", "9", t0));
}

}  // namespace
}  // namespace unipay
