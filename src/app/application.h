// Wiring: opens the database and migrates it, loads the keys, starts the writer, the
// readers and the HTTP server, and stops them all on SIGINT/SIGTERM.
#pragma once

#include <memory>

#include "app/config.h"
#include "common/result.h"

namespace issuerd::app {

// Runs issuerd until a signal; returns the process exit status (0 after a clean stop).
int run_issuerd(const Config& config);

}  // namespace issuerd::app
