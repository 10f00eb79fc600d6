// Broken invariants abort loudly, in every build type (TIGER_STYLE): a ledger that
// disagrees with itself must never keep running. Never reachable from user input.
#pragma once

#include <cstdio>
#include <cstdlib>

#define ISSUERD_ASSERT(cond)                                                          \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "issuerd: invariant broken: %s at %s:%d\n", #cond, __FILE__, \
                   __LINE__);                                                         \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)
