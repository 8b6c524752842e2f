#include "net/allocator_stats.hpp"

#include <cstddef>

// jemalloc's control interface, declared weak so that the libraries and tests need not link
// jemalloc: the symbol is there exactly when the process runs on jemalloc (unipayd links it,
// cmake/Allocator.cmake). The signature is jemalloc's documented one.
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace unipay {
namespace {

std::optional<uint64_t> read_size(const char* name) {
  size_t value = 0;
  size_t length = sizeof value;
  if (mallctl(name, &value, &length, nullptr, 0) != 0) return std::nullopt;
  return static_cast<uint64_t>(value);
}

}  // namespace

std::string_view allocator_name() { return mallctl != nullptr ? "jemalloc" : "system"; }

std::optional<AllocatorStats> read_allocator_stats() {
  if (mallctl == nullptr) return std::nullopt;
  // jemalloc caches its statistics; writing "epoch" refreshes them (one merge of the arenas'
  // counters, microseconds).
  uint64_t epoch = 1;
  size_t length = sizeof epoch;
  if (mallctl("epoch", &epoch, &length, &epoch, length) != 0) return std::nullopt;
  auto allocated = read_size("stats.allocated");
  auto active = read_size("stats.active");
  auto metadata = read_size("stats.metadata");
  auto resident = read_size("stats.resident");
  auto retained = read_size("stats.retained");
  if (!allocated || !active || !metadata || !resident || !retained) return std::nullopt;
  return AllocatorStats{*allocated, *active, *metadata, *resident, *retained};
}

}  // namespace unipay
