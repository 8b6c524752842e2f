// Admission control for new work (bill creation, lists): refused while work already
// accepted cannot be served in time. Three queues are watched, each with a DelayGate
// (storage/delay_gate.hpp): the database's writer and readers (storage measures those),
// and, probed here, how long a posted task waits for an io thread (every answer from
// storage or an actor is such a task) and for the bill registry actor (every bill request
// passes through its mailbox). A probe is a no-op sent through the queue every few
// milliseconds from a thread of this class; one still outstanding counts with its age.
// On top of these, new work in flight is bounded by a latency-adapted limit
// (net/concurrency_limit.hpp): the gates react after a queue has stood for an interval, the
// limit at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/concurrency_limit.hpp"
#include "storage/delay_gate.hpp"

namespace unipay {

class Admission {
 public:
  using Clock = std::chrono::steady_clock;
  // Runs `done` once the task has gone through the queue (on whichever thread serves it).
  using Send = std::function<void(std::function<void()> done)>;
  struct Queue {
    std::string name;  // for the log: "io", "bill registry"
    Send send;
  };

  // `database_admits`: the database queues' own verdict (storage::Database::admits_new_work).
  // Whatever it and the queues' Send functions use must outlive this object.
  Admission(std::function<bool()> database_admits, std::vector<Queue> queues, storage::DelayGateLimits limits,
            ConcurrencyLimitSettings in_flight = {});
  ~Admission();  // stops the probe thread; a probe answered later is ignored safely
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  // Cheap (short locks, no I/O): may be called on any io thread for every request.
  bool admits_new_work();

  // The queues admit and the in-flight limit has room: returns the function to call once
  // that work is answered (it reports the latency since `received_at` and frees the place;
  // safe to call after this object is gone). Empty: refused.
  std::function<void()> enter(Clock::time_point received_at);

 private:
  struct Probe {
    Queue queue;
    storage::DelayGate gate;
    std::optional<Clock::time_point> sent_at;  // a probe in the queue since then
  };
  struct Shared;  // what late probe answers may still touch after destruction

  void run();
  void tick(Clock::time_point now);

  std::function<bool()> database_admits_;
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

}  // namespace unipay
