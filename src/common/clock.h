// Business time: what windows, expiries and daily fees follow. The test clock (only with
// --test-clock) is frozen at whatever POST /admin/v1/test/clock set, like Stripe's test
// clocks; until set it follows the wall clock. Business expiries (one-time links, holds,
// daily fees) follow it, so tests can move past them. Request timestamps and nonce windows
// (MusePay signatures) always use the wall clock. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace issuerd {

std::int64_t wall_clock_ms();

class Clock {
 public:
  explicit Clock(bool settable) : settable_(settable) {}
  std::int64_t now_ms() const;
  bool settable() const { return settable_; }
  // Only for a settable clock (asserted).
  void set_ms(std::int64_t unix_ms);

 private:
  bool settable_;
  std::atomic<std::int64_t> frozen_ms_{-1};
};

// RFC 3339 "2026-11-21T10:00:00Z" / "...+02:00" / fractional seconds -> unix ms.
Result<std::int64_t> parse_rfc3339_ms(std::string_view text);
// unix ms -> "2026-11-21T10:00:00.000Z" (UTC).
std::string format_rfc3339_ms(std::int64_t unix_ms);

}  // namespace issuerd
