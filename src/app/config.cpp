#include "app/config.h"

#include <charconv>
#include <cstdlib>
#include <functional>
#include <map>

namespace issuerd::app {

namespace {

Error bad(const std::string& flag, const std::string& message) {
  return make_error(ErrorKind::invalid_argument, "invalid_flag", flag + ": " + message, flag);
}

Status set_listen(Config& config, const std::string& value) {
  const auto colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad("--listen", "expected HOST:PORT, e.g. 127.0.0.1:8080");
  int port = -1;
  const std::string port_text = value.substr(colon + 1);
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return bad("--listen", "the port must be a number from 0 to 65535");
  }
  config.listen_host = value.substr(0, colon);
  if (config.listen_host.size() > 2 && config.listen_host.front() == '[') {
    config.listen_host = config.listen_host.substr(1, config.listen_host.size() - 2);
  }
  config.listen_port = static_cast<std::uint16_t>(port);
  return Status::success();
}

Status set_threads(Config& config, const std::string& value) {
  int threads = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), threads);
  if (ec != std::errc() || end != value.data() + value.size() || threads < 1 || threads > 64) {
    return bad("--io-threads", "must be a number from 1 to 64");
  }
  config.io_threads = threads;
  return Status::success();
}

// A whole number in [min, max] for the flag; used by the callback settings.
Status set_bounded(std::int64_t& target, const std::string& flag, const std::string& value, std::int64_t min,
                   std::int64_t max) {
  std::int64_t parsed = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (ec != std::errc() || end != value.data() + value.size() || parsed < min || parsed > max) {
    return bad(flag, "must be a number from " + std::to_string(min) + " to " + std::to_string(max));
  }
  target = parsed;
  return Status::success();
}

bool truthy(const std::string& value) { return value == "1" || value == "true" || value == "yes"; }

using Setter = std::function<Status(Config&, const std::string&)>;

const std::map<std::string, std::pair<std::string, Setter>>& valued_flags() {
  static const std::map<std::string, std::pair<std::string, Setter>> flags = {
      {"--listen", {"ISSUERD_LISTEN", set_listen}},
      {"--database", {"ISSUERD_DATABASE", [](Config& c, const std::string& v) { c.database_url = v; return Status(); }}},
      {"--admin-token", {"ISSUERD_ADMIN_TOKEN", [](Config& c, const std::string& v) { c.admin_token = v; return Status(); }}},
      {"--key-dir", {"ISSUERD_KEY_DIR", [](Config& c, const std::string& v) { c.key_dir = v; return Status(); }}},
      {"--public-url", {"ISSUERD_PUBLIC_URL", [](Config& c, const std::string& v) { c.public_url = v; return Status(); }}},
      {"--io-threads", {"ISSUERD_IO_THREADS", set_threads}},
      {"--callback-retry-base-ms", {"ISSUERD_CALLBACK_RETRY_BASE_MS", [](Config& c, const std::string& v) {
         return set_bounded(c.callback_retry_base_ms, "--callback-retry-base-ms", v, 1, 3600 * 1000);
       }}},
      {"--writer-nice", {"ISSUERD_WRITER_NICE", [](Config& c, const std::string& v) {
         return set_bounded(c.writer_nice, "--writer-nice", v, -20, 19);
       }}},
      {"--callback-attempts-max", {"ISSUERD_CALLBACK_ATTEMPTS_MAX", [](Config& c, const std::string& v) {
         return set_bounded(c.callback_attempts_max, "--callback-attempts-max", v, 1, 100);
       }}},
  };
  return flags;
}

const std::map<std::string, std::pair<std::string, bool Config::*>>& switch_flags() {
  static const std::map<std::string, std::pair<std::string, bool Config::*>> flags = {
      {"--test-clock", {"ISSUERD_TEST_CLOCK", &Config::test_clock}},
      {"--demo", {"ISSUERD_DEMO", &Config::demo}},
      {"--log-requests", {"ISSUERD_LOG_REQUESTS", &Config::log_requests}},
  };
  return flags;
}

}  // namespace

Result<Config> parse_config(const std::vector<std::string>& args) {
  Config config;
  for (const auto& [flag, entry] : valued_flags()) {
    if (const char* value = std::getenv(entry.first.c_str()); value != nullptr && *value != '\0') {
      ISSUERD_TRY(entry.second(config, value));
    }
  }
  for (const auto& [flag, entry] : switch_flags()) {
    if (const char* value = std::getenv(entry.first.c_str()); value != nullptr) config.*(entry.second) = truthy(value);
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool has_inline_value = false;
    if (const auto equals = flag.find('='); flag.starts_with("--") && equals != std::string::npos) {
      value = flag.substr(equals + 1);
      flag = flag.substr(0, equals);
      has_inline_value = true;
    }
    if (flag == "--help" || flag == "-h") { config.show_help = true; continue; }
    if (flag == "--version") { config.show_version = true; continue; }
    if (auto it = switch_flags().find(flag); it != switch_flags().end()) {
      config.*(it->second.second) = has_inline_value ? truthy(value) : true;
      continue;
    }
    auto it = valued_flags().find(flag);
    if (it == valued_flags().end()) return bad(flag, "unknown flag (see --help)");
    if (!has_inline_value) {
      if (i + 1 >= args.size()) return bad(flag, "needs a value");
      value = args[++i];
    }
    ISSUERD_TRY(it->second.second(config, value));
  }
  if (config.public_url.empty()) {
    config.public_url = "http://" + config.listen_host + ":" + std::to_string(config.listen_port);
  }
  while (!config.public_url.empty() && config.public_url.back() == '/') config.public_url.pop_back();
  return config;
}

std::string usage_text() {
  return R"(usage: issuerd [flags]
  --listen HOST:PORT    where to listen (default 127.0.0.1:8080)        ISSUERD_LISTEN
  --database URL        sqlite:PATH (default sqlite:var/issuerd.db) or   ISSUERD_DATABASE
                        postgresql://...
  --admin-token TOKEN   the operator's token; if absent, read from        ISSUERD_ADMIN_TOKEN
                        KEY_DIR/admin_token or generated there once
  --key-dir DIR         platform keys (default var/keys), mode 0600      ISSUERD_KEY_DIR
  --public-url URL      base of the links issuerd hands out               ISSUERD_PUBLIC_URL
  --test-clock          enable POST /admin/v1/test/clock (tests only)     ISSUERD_TEST_CLOCK=1
  --demo                create a demo merchant, funded, with a product    ISSUERD_DEMO=1
  --io-threads N        HTTP I/O threads (default 2)                      ISSUERD_IO_THREADS
  --writer-nice N       the writer thread's nice value, -20 to 19         ISSUERD_WRITER_NICE
                        (default -10; kept at 0 without CAP_SYS_NICE)
  --log-requests        log every request (default: only errors)          ISSUERD_LOG_REQUESTS=1
  --callback-retry-base-ms N
                        first webhook retry delay, doubling               ISSUERD_CALLBACK_RETRY_BASE_MS
                        per attempt (default 1000)
  --callback-attempts-max N
                        webhook attempts before an event fails            ISSUERD_CALLBACK_ATTEMPTS_MAX
                        (default 12)
  --version, --help
)";
}

}  // namespace issuerd::app
