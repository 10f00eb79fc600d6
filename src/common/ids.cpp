#include "common/ids.h"

#include <atomic>
#include <chrono>
#include <cstdint>

namespace issuerd {

std::string next_id() {
  constexpr std::int64_t epoch_ms = 1704067200000;  // 2024-01-01T00:00:00Z
  static std::atomic<std::int64_t> last{0};
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const std::int64_t candidate = (now_ms - epoch_ms) << 12;
  std::int64_t previous = last.load(std::memory_order_relaxed);
  std::int64_t next = 0;
  do {
    next = candidate > previous ? candidate : previous + 1;
  } while (!last.compare_exchange_weak(previous, next, std::memory_order_relaxed));
  return std::to_string(next);
}

}  // namespace issuerd
