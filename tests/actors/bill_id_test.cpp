// actors/bill_id: "b_" + 26 Crockford base32 characters (48-bit ms time, 80 random
// bits), strictly increasing within a process (DESIGN.md §2, §7.5).
#include "actors/bill_id.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace unipay {
namespace {

constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

Millis at(int64_t ms) { return Millis{std::chrono::milliseconds(ms)}; }

// Proves the encoding against the ULID reference's example (`ulid(1469918176385)` starts
// "01ARYZ6S41", also checked with a few lines of Python) and at the extremes of both fields.
TEST(BillId, EncodingKnownAnswers) {
  EXPECT_EQ(encode_bill_id(at(1469918176385), 0, 0), "b_01ARYZ6S410000000000000000");
  EXPECT_EQ(encode_bill_id(at(0), 0, 0), "b_00000000000000000000000000");
  EXPECT_EQ(encode_bill_id(at(0), 0, 1), "b_00000000000000000000000001");
  EXPECT_EQ(encode_bill_id(at(0), 0xFFFF, UINT64_MAX), "b_0000000000ZZZZZZZZZZZZZZZZ");
  EXPECT_EQ(encode_bill_id(at((int64_t{1} << 48) - 1), 0, 0), "b_7ZZZZZZZZZ0000000000000000");
  // Out-of-range times are clamped, never wrapped.
  EXPECT_EQ(encode_bill_id(at(int64_t{1} << 50), 0, 0), "b_7ZZZZZZZZZ0000000000000000");
  EXPECT_EQ(encode_bill_id(at(-5), 0, 0), "b_00000000000000000000000000");
}

// Proves made ids have the documented format and carry the time they were made at
// (or a later one, if an earlier test already used that millisecond).
TEST(BillId, FormatAndTime) {
  const Millis before = now_ms();
  const std::string id = make_bill_id(before);
  ASSERT_EQ(id.size(), 28u);
  EXPECT_EQ(id.substr(0, 2), "b_");
  EXPECT_EQ(id.find_first_not_of(kCrockford, 2), std::string::npos);
  EXPECT_TRUE(looks_like_bill_id(id));
  EXPECT_GE(id.substr(0, 12), encode_bill_id(before, 0, 0).substr(0, 12));
  EXPECT_LE(id.substr(0, 12), encode_bill_id(now_ms(), 0, 0).substr(0, 12));
}

// Proves 10,000 ids made within one millisecond are strictly increasing (the random part
// counts up) and all share one time prefix. (No test uses future times: the generator is
// process-wide and other tests in this binary make ids too.)
TEST(BillId, StrictlyIncreasingWithinOneMillisecond) {
  const Millis now = now_ms();
  std::string previous = make_bill_id(now);
  for (int i = 0; i < 10000; ++i) {
    std::string next = make_bill_id(now);
    ASSERT_LT(previous, next) << i;
    ASSERT_EQ(next.substr(0, 12), previous.substr(0, 12));
    previous = std::move(next);
  }
}

// Proves ids stay strictly increasing across milliseconds and when the clock steps back.
TEST(BillId, StrictlyIncreasingAcrossMillisecondsAndClockSteps) {
  std::string previous = make_bill_id(now_ms());
  std::set<std::string> time_prefixes;
  // At least 10,000 ids, and on until the real clock has moved on twice.
  for (int i = 0; i < 10000 || time_prefixes.size() < 3; ++i) {
    // The real clock, stepped back 3 ms every 100 ids.
    const Millis now = now_ms() - std::chrono::milliseconds(i % 100 == 99 ? 3 : 0);
    std::string next = make_bill_id(now);
    ASSERT_LT(previous, next) << i;
    time_prefixes.insert(next.substr(0, 12));
    previous = std::move(next);
  }
}

// Proves concurrent callers get distinct ids, each thread's sequence increasing.
TEST(BillId, ConcurrentCallersGetDistinctIds) {
  std::vector<std::vector<std::string>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& ids : per_thread) {
    threads.emplace_back([&ids] {
      for (int i = 0; i < 2500; ++i) ids.push_back(make_bill_id(now_ms()));
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> all;
  for (const auto& ids : per_thread) {
    for (size_t i = 1; i < ids.size(); ++i) ASSERT_LT(ids[i - 1], ids[i]);
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(all.size(), 10000u);
}

// Proves looks_like_bill_id refuses wrong prefixes, lengths and characters outside
// upper-case Crockford base32 (I, L, O, U and lower case included).
TEST(BillId, LooksLikeBillIdRejectsMalformed) {
  EXPECT_TRUE(looks_like_bill_id("b_01ARZ3NDEKTSV4RRFFQ69G5FAV"));
  for (std::string_view bad :
       {"", "b_", "b_01ARZ3NDEKTSV4RRFFQ69G5FA", "b_01ARZ3NDEKTSV4RRFFQ69G5FAVX",
        "B_01ARZ3NDEKTSV4RRFFQ69G5FAV", "x_01ARZ3NDEKTSV4RRFFQ69G5FAV", "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "b-01ARZ3NDEKTSV4RRFFQ69G5FAV", "b_01ARZ3NDEKTSV4RRFFQ69G5FAI", "b_01ARZ3NDEKTSV4RRFFQ69G5FAL",
        "b_01ARZ3NDEKTSV4RRFFQ69G5FAO", "b_01ARZ3NDEKTSV4RRFFQ69G5FAU", "b_01arz3ndektsv4rrffq69g5fav",
        "b_01ARZ3NDEKTSV4RRFFQ69G5FA/", "b_01ARZ3NDEKTSV4RRFFQ69G5FA "}) {
    EXPECT_FALSE(looks_like_bill_id(bad)) << bad;
  }
  using namespace std::string_literals;
  EXPECT_FALSE(looks_like_bill_id("b_01ARZ3NDEKTSV4RRFFQ69G5FA\0"s));
}

}  // namespace
}  // namespace unipay
