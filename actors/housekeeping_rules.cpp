#include "actors/housekeeping_rules.hpp"

namespace unipay {

bool purge_continues(int64_t deleted, size_t chunk_rows, size_t chunks_done, size_t max_chunks) {
  return deleted >= static_cast<int64_t>(chunk_rows) && chunks_done < max_chunks;
}

bool expiry_continues(size_t claimed, size_t batch, size_t closed_so_far, size_t max_per_sweep) {
  return claimed >= batch && closed_so_far < max_per_sweep;
}

}  // namespace unipay
