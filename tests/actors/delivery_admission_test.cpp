// actors/delivery_admission: total and per-app caps, and the per-app circuit breaker.
#include "actors/delivery_admission.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

namespace unipay {
namespace {

using std::chrono::milliseconds;

DeliveryLimits limits() {
  DeliveryLimits l;
  l.max_concurrent = 10;
  l.max_concurrent_per_app = 4;
  l.breaker_failures = 3;
  l.breaker_cooldown_ms = milliseconds{1000};
  return l;
}

const Millis kT0{milliseconds{1'700'000'000'000}};

// Proves a full node refuses every app, and an app with a failure since its last 2xx is
// refused beyond its share while another app still gets a slot.
TEST(DeliveryAdmission, TotalAndPerAppCaps) {
  AppDeliveries a;
  EXPECT_EQ(admit(a, 0, limits(), kT0), Admission::run);
  EXPECT_EQ(admit(a, 10, limits(), kT0), Admission::refuse_full);
  a.consecutive_failures = 1;
  for (int i = 0; i < 4; ++i) on_started(a, admit(a, i, limits(), kT0));
  EXPECT_EQ(a.active, 4u);
  EXPECT_EQ(admit(a, 4, limits(), kT0), Admission::refuse_app_full);
  EXPECT_EQ(claim_quota(a, a.active, limits(), kT0), 0u);
  AppDeliveries b;
  EXPECT_EQ(admit(b, 4, limits(), kT0), Admission::run) << "another app still gets a slot";
  EXPECT_EQ(claim_quota(b, b.active, limits(), kT0), limits().max_concurrent) << "healthy: may borrow";
  on_ended(a, AttemptResult::failed, false, limits(), kT0);
  EXPECT_EQ(claim_quota(a, a.active, limits(), kT0), 1u);
  EXPECT_EQ(admit(a, 3, limits(), kT0), Admission::run);
}

// Proves an app whose game server answers borrows idle slots beyond its share, but always
// leaves one share (4 of 10 here) free for the others, and stops borrowing at its first
// failure.
TEST(DeliveryAdmission, HealthyAppBorrowsIdleSlotsOnly) {
  AppDeliveries a;
  size_t total = 0;
  while (admitted(admit(a, total, limits(), kT0))) {
    on_started(a, Admission::run);
    ++total;
  }
  EXPECT_EQ(a.active, 6u) << "10 slots minus one share kept free";
  EXPECT_EQ(admit(a, total, limits(), kT0), Admission::refuse_app_full);
  AppDeliveries b;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(admit(b, total, limits(), kT0), Admission::run) << i;
    on_started(b, Admission::run);
    ++total;
  }
  EXPECT_EQ(admit(b, total, limits(), kT0), Admission::refuse_full);

  on_ended(a, AttemptResult::failed, false, limits(), kT0);
  --total;
  on_ended(b, AttemptResult::delivered, false, limits(), kT0);
  --total;
  EXPECT_EQ(total, 8u);
  EXPECT_EQ(admit(a, 2, limits(), kT0), Admission::refuse_app_full) << "a failure ends borrowing";
  EXPECT_EQ(claim_quota(a, 2, limits(), kT0), 0u);
  EXPECT_EQ(claim_quota(b, 2, limits(), kT0), limits().max_concurrent) << "the claim's limit bounds it";
}

// Proves the breaker opens at the Nth consecutive failure, pauses the app for the
// cool-down, then lets exactly one probe through; a failed probe opens it again for a
// full cool-down, a 2xx probe closes it.
TEST(DeliveryAdmission, BreakerOpensProbesAndCloses) {
  AppDeliveries a;
  for (int i = 0; i < 2; ++i) {
    on_started(a, Admission::run);
    on_ended(a, AttemptResult::failed, false, limits(), kT0);
  }
  EXPECT_EQ(admit(a, 0, limits(), kT0), Admission::run) << "2 failures: still closed";
  on_started(a, Admission::run);
  on_ended(a, AttemptResult::failed, false, limits(), kT0);
  EXPECT_EQ(admit(a, 0, limits(), kT0), Admission::refuse_breaker_open);
  EXPECT_EQ(claim_quota(a, a.active, limits(), kT0 + milliseconds{999}), 0u);

  const Millis later = kT0 + milliseconds{1000};
  EXPECT_EQ(claim_quota(a, a.active, limits(), later), 1u);
  Admission probe = admit(a, 0, limits(), later);
  ASSERT_EQ(probe, Admission::run_as_probe);
  on_started(a, probe);
  EXPECT_EQ(admit(a, 1, limits(), later), Admission::refuse_breaker_open) << "one probe at a time";
  EXPECT_EQ(claim_quota(a, a.active, limits(), later), 0u);
  on_ended(a, AttemptResult::failed, true, limits(), later);
  EXPECT_EQ(admit(a, 0, limits(), later + milliseconds{999}), Admission::refuse_breaker_open);

  const Millis again = later + milliseconds{1000};
  probe = admit(a, 0, limits(), again);
  ASSERT_EQ(probe, Admission::run_as_probe);
  on_started(a, probe);
  on_ended(a, AttemptResult::delivered, true, limits(), again);
  EXPECT_EQ(admit(a, 0, limits(), again), Admission::run);
  EXPECT_EQ(claim_quota(a, a.active, limits(), again), limits().max_concurrent);
  EXPECT_TRUE(idle(a));
}

// Proves a probe that sent nothing (our own failure) neither closes nor reopens the
// breaker, and frees the probe for the next attempt.
TEST(DeliveryAdmission, ProbeWithoutAttemptFreesTheProbe) {
  AppDeliveries a;
  a.consecutive_failures = 3;
  a.open_until = kT0;
  on_started(a, admit(a, 0, limits(), kT0));
  EXPECT_TRUE(a.probing);
  on_ended(a, AttemptResult::no_attempt, true, limits(), kT0);
  EXPECT_FALSE(a.probing);
  EXPECT_EQ(admit(a, 0, limits(), kT0), Admission::run_as_probe);
}

// Proves breaker_failures = 0 never opens the breaker.
TEST(DeliveryAdmission, ZeroThresholdNeverOpens) {
  DeliveryLimits l = limits();
  l.breaker_failures = 0;
  AppDeliveries a;
  for (int i = 0; i < 100; ++i) {
    on_started(a, Admission::run);
    on_ended(a, AttemptResult::failed, false, l, kT0);
  }
  EXPECT_EQ(admit(a, 0, l, kT0), Admission::run);
}

// Proves, for any sequence of admissions and endings, that an app starts an attempt beyond
// its share only while its game server answers and a share stays free, at most one probe
// runs, and a positive quota means admit lets the next attempt start.
RC_GTEST_PROP(DeliveryAdmission, NeverAboveTheShare, (const std::vector<std::pair<int, int>>& steps)) {
  const DeliveryLimits l = limits();
  AppDeliveries a;
  size_t probes = 0;
  Millis now = kT0;
  for (auto [kind, arg] : steps) {
    now += milliseconds{(arg & 0xff) * 10};
    if (kind % 2 == 0) {
      Admission adm = admit(a, a.active, l, now);
      if (claim_quota(a, a.active, l, now) > 0) RC_ASSERT(admitted(adm));
      if (!admitted(adm)) continue;
      if (a.active >= l.max_concurrent_per_app) {
        RC_ASSERT(a.consecutive_failures == 0u);
        RC_ASSERT(a.active + l.max_concurrent_per_app < l.max_concurrent);
      }
      on_started(a, adm);
      if (adm == Admission::run_as_probe) ++probes;
    } else if (a.active > 0) {
      bool probe = a.probing && probes > 0 && (arg & 0x100);
      if (probe) --probes;
      auto result = static_cast<AttemptResult>((arg >> 9) % 3);
      on_ended(a, result, probe, l, now);
    }
    RC_ASSERT(a.active <= l.max_concurrent - l.max_concurrent_per_app);
    RC_ASSERT(probes <= 1u);
  }
}

}  // namespace
}  // namespace unipay
