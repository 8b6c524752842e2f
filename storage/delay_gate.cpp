#include "storage/delay_gate.hpp"

namespace unipay::storage {

void DelayGate::observe(Clock::duration wait, Clock::time_point now) {
  if (wait <= limits_.target) {
    above_since_.reset();
  } else if (!above_since_) {
    above_since_ = now;
  }
}

void DelayGate::observe_waiting(Clock::duration age, Clock::time_point now) {
  if (age > limits_.target) observe(age, now);
}

bool DelayGate::admits(Clock::time_point now) const {
  return !above_since_ || now - *above_since_ < limits_.interval;
}

}  // namespace unipay::storage
