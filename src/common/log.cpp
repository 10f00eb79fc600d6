#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "common/clock.h"

namespace issuerd::log {

namespace {
std::atomic<int> min_level{static_cast<int>(Level::info)};
std::mutex write_mutex;

const char* level_name(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "info";
}
}  // namespace

void set_min_level(Level level) { min_level.store(static_cast<int>(level)); }

void write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (static_cast<int>(level) < min_level.load(std::memory_order_relaxed)) return;
  boost::json::object line;
  line["ts"] = format_rfc3339_ms(wall_clock_ms());
  line["level"] = level_name(level);
  line["event"] = event;
  for (auto& [key, value] : boost::json::object(fields)) line[key] = std::move(value);
  std::string text = boost::json::serialize(line);
  text.push_back('\n');
  std::lock_guard lock(write_mutex);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace issuerd::log
