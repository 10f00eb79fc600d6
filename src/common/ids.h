// Object ids: decimal strings like MusePay's ("2469990273197955"), unique and increasing
// within a process and across restarts while the wall clock does not run backwards.
// Thread-safe.
#pragma once

#include <string>

namespace issuerd {

// 64-bit: milliseconds since 2024-01-01 in the high bits, a 12-bit sequence in the low
// bits (4096 ids per millisecond before it borrows from the next one).
std::string next_id();

}  // namespace issuerd
