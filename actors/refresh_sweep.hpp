// Which live bills to re-check after the LISTEN connection was lost, batch by batch.
// Notifications sent while it was down are lost, so any live bill may hold an old row; but
// re-reading every row at once (tens of thousands of reads) swamps the readers for tens of
// seconds. Instead the registry reads the versions of one batch of live bills at a time
// (one query by primary key), paced, and only the bills whose version moved re-read their
// row. Pure bookkeeping, owned by the registry actor; the actor does the reads and sends.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace unipay {

struct RefreshSweepLimits {
  size_t batch_bills = 1000;  // bills whose versions one query reads
  size_t batches_per_s = 50;  // pace; 0: one batch right after the other
  size_t retries = 5;         // reads of a failing batch before its bills re-read one by one
};

class RefreshSweep {
 public:
  explicit RefreshSweep(RefreshSweepLimits limits);

  // Starts over with these bills: a loss during a sweep may hide changes to bills already
  // checked. Answers of an older sweep are told apart by generation().
  void start(std::vector<std::string> bill_ids);
  uint64_t generation() const { return generation_; }
  bool done() const { return next_ >= bill_ids_.size(); }

  // The batch to read now (empty when done).
  std::span<const std::string> batch() const;
  // Its versions were read: on to the next batch.
  void batch_read();
  // Its read failed. True: read it again after retry_pause(). False: retries are used up,
  // the sweep moved past it, and the caller makes each of its bills re-read its own row.
  bool batch_failed();

  // Between two batches, so the readers keep serving requests meanwhile.
  std::chrono::milliseconds pause() const;
  static constexpr std::chrono::milliseconds retry_pause() { return std::chrono::milliseconds(1000); }

  size_t total() const { return bill_ids_.size(); }

 private:
  RefreshSweepLimits limits_;
  std::vector<std::string> bill_ids_;
  size_t next_ = 0;  // first bill of the current batch
  size_t failures_ = 0;
  uint64_t generation_ = 0;
};

}  // namespace unipay
