#include "actors/delivery_admission.hpp"

namespace unipay {

namespace {

bool breaker_open(const AppDeliveries& app, Millis now) { return app.open_until && now < *app.open_until; }
bool half_open(const AppDeliveries& app, Millis now) { return app.open_until && now >= *app.open_until; }

// Beyond its share an app may borrow idle slots while its game server answers (no failure
// since its last 2xx, so a hung server never borrows) and the borrowing still leaves
// max_concurrent_per_app slots free for the other apps.
bool may_borrow(const AppDeliveries& app, size_t total_active, const DeliveryLimits& limits) {
  return app.consecutive_failures == 0 && !app.open_until &&
         total_active + limits.max_concurrent_per_app < limits.max_concurrent;
}

}  // namespace

Admission admit(const AppDeliveries& app, size_t total_active, const DeliveryLimits& limits, Millis now) {
  if (total_active >= limits.max_concurrent) return Admission::refuse_full;
  if (breaker_open(app, now)) return Admission::refuse_breaker_open;
  if (app.active >= limits.max_concurrent_per_app && !may_borrow(app, total_active, limits))
    return Admission::refuse_app_full;
  if (half_open(app, now)) return app.probing ? Admission::refuse_breaker_open : Admission::run_as_probe;
  return Admission::run;
}

size_t claim_quota(const AppDeliveries& app, size_t total_active, const DeliveryLimits& limits, Millis now) {
  if (breaker_open(app, now)) return 0;
  if (half_open(app, now)) return app.probing || app.active >= limits.max_concurrent_per_app ? 0 : 1;
  if (may_borrow(app, total_active, limits)) return limits.max_concurrent;  // admit() re-checks each
  return app.active >= limits.max_concurrent_per_app ? 0 : limits.max_concurrent_per_app - app.active;
}

void on_started(AppDeliveries& app, Admission admission) {
  ++app.active;
  if (admission == Admission::run_as_probe) app.probing = true;
}

void on_ended(AppDeliveries& app, AttemptResult result, bool was_probe, const DeliveryLimits& limits,
              Millis now) {
  if (app.active > 0) --app.active;
  if (was_probe) app.probing = false;
  switch (result) {
    case AttemptResult::delivered:
      app.consecutive_failures = 0;
      app.open_until.reset();
      break;
    case AttemptResult::failed:
      ++app.consecutive_failures;
      if (was_probe) {
        app.open_until = now + limits.breaker_cooldown_ms;
      } else if (!app.open_until && limits.breaker_failures > 0 &&
                 app.consecutive_failures >= limits.breaker_failures) {
        app.open_until = now + limits.breaker_cooldown_ms;
      }
      break;
    case AttemptResult::no_attempt:
      break;  // says nothing about the game server
  }
}

bool idle(const AppDeliveries& app) {
  return app.active == 0 && app.consecutive_failures == 0 && !app.open_until && !app.probing;
}

}  // namespace unipay
