#include "net/delivery_memory.hpp"

namespace unipay {
namespace {

// Per app: two apps' subscriptions may number their messages alike.
std::string key_of(std::string_view app_id, std::string_view delivery_id) {
  std::string key(app_id);
  key += '/';
  key.append(delivery_id);
  return key;
}

bool rememberable(std::string_view delivery_id) {
  return !delivery_id.empty() && delivery_id.size() <= DeliveryMemory::kMaxDeliveryIdBytes;
}

}  // namespace

bool DeliveryMemory::answered(std::string_view app_id, std::string_view delivery_id,
                              Clock::time_point now) const {
  return rememberable(delivery_id) && seen_.get(key_of(app_id, delivery_id), now).has_value();
}

void DeliveryMemory::note_answer(std::string_view app_id, std::string_view delivery_id, int status,
                                 Clock::time_point now) {
  if (status < 200 || status > 299 || !rememberable(delivery_id)) return;
  seen_.put(key_of(app_id, delivery_id), true, now);
}

}  // namespace unipay
