// How long new work (a bill's creation) may wait in the write queue, by sojourn time (the
// idea of CoDel applied per write class). New work is committed after accepted work
// (callbacks, transitions, deliveries), so while accepted work keeps the writer busy a
// creation's insert can wait for seconds (measured: 1.2-2.5 s under 3x the maximum rate,
// behind 3,000 accepted writes), and every creation admitted meanwhile waits as long. Two
// bounds: while any queued write has waited longer than admit_wait, new work is refused at
// once (503 busy + Retry-After) without waiting for a queue to stand for an interval; and a
// queued creation that has waited max_wait is answered the same way instead of being
// committed late: nothing was committed for it, so the client's retry is safe. Accepted
// work is never refused by either. Pure; storage/group_writer.cpp applies it.
#pragma once

#include <chrono>

namespace unipay::storage {

struct NewWorkSojournLimits {
  std::chrono::milliseconds admit_wait{0};  // 0: off
  std::chrono::milliseconds max_wait{0};    // 0: off
};

// Whether new work may start while the oldest queued write (either class) has waited
// `oldest_wait` (zero when the queue is empty).
inline bool sojourn_admits_new_work(const NewWorkSojournLimits& limits,
                                    std::chrono::steady_clock::duration oldest_wait) {
  return limits.admit_wait.count() == 0 || oldest_wait <= limits.admit_wait;
}

// Whether a queued new-work write that has waited `waited` is refused instead of committed.
inline bool new_work_expired(const NewWorkSojournLimits& limits, std::chrono::steady_clock::duration waited) {
  return limits.max_wait.count() > 0 && waited >= limits.max_wait;
}

}  // namespace unipay::storage
