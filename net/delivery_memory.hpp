// Provider deliveries this node has already handled, by the id the provider gives each
// message (Google Pub/Sub's messageId; its redeliveries carry the same id). Pub/Sub delivers
// at least once, and a push answered 204 can come again (an acknowledgement that arrived
// late or was lost): its purchase was already checked, so the repeat is acknowledged without
// another Play Developer API call against the studio's quota. Not the source of truth: a
// forgotten id only costs that call again, and the bill's actor still decides (a second
// check changes nothing). Only an answered 2xx is remembered: a refused or failed push must
// be handled again when it is redelivered. Bounded by storage::TtlCache (emptied when full);
// pure and single-threaded: each io thread keeps one, like the app cache.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "storage/ttl_cache.hpp"

namespace unipay {

class DeliveryMemory {
 public:
  using Clock = storage::TtlCache<bool>::Clock;
  static constexpr size_t kMaxDeliveryIdBytes = 256;  // longer ids are not remembered

  DeliveryMemory(std::chrono::seconds ttl_s, size_t max_entries) : seen_(ttl_s, max_entries) {}

  // True: `delivery_id` of `app_id` was answered 2xx within the ttl. An empty id never is.
  bool answered(std::string_view app_id, std::string_view delivery_id, Clock::time_point now) const;
  // The delivery was answered `status`: remembered when it was a 2xx.
  void note_answer(std::string_view app_id, std::string_view delivery_id, int status, Clock::time_point now);
  size_t size() const { return seen_.size(); }

 private:
  storage::TtlCache<bool> seen_;
};

}  // namespace unipay
