// issuerd's settings: each flag has an ISSUERD_* environment equivalent; a flag wins over
// the environment.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace issuerd::app {

struct Config {
  std::string listen_host = "127.0.0.1";         // --listen HOST:PORT / ISSUERD_LISTEN
  std::uint16_t listen_port = 8080;
  std::string database_url = "sqlite:var/issuerd.db";  // --database / ISSUERD_DATABASE
  std::string admin_token;                        // --admin-token / ISSUERD_ADMIN_TOKEN
  std::string key_dir = "var/keys";               // --key-dir / ISSUERD_KEY_DIR
  std::string public_url;                         // --public-url / ISSUERD_PUBLIC_URL
  bool test_clock = false;                        // --test-clock / ISSUERD_TEST_CLOCK=1
  bool demo = false;                              // --demo / ISSUERD_DEMO=1
  int io_threads = 2;                             // --io-threads / ISSUERD_IO_THREADS
  std::int64_t writer_nice = -10;                 // --writer-nice / ISSUERD_WRITER_NICE
  bool log_requests = false;                      // --log-requests / ISSUERD_LOG_REQUESTS=1
  std::int64_t callback_retry_base_ms = 1000;     // --callback-retry-base-ms / ISSUERD_CALLBACK_RETRY_BASE_MS
  std::int64_t callback_attempts_max = 12;        // --callback-attempts-max / ISSUERD_CALLBACK_ATTEMPTS_MAX
  bool show_help = false;
  bool show_version = false;
};

// Reads the environment first, then the arguments. invalid_argument naming the flag on
// anything unknown or malformed.
Result<Config> parse_config(const std::vector<std::string>& args);

std::string usage_text();

}  // namespace issuerd::app
