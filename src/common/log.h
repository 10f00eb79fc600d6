// Structured JSON logs, one object a line on stderr: {"ts","level","event",...fields}.
// Callers pass only non-secret fields: never a PAN, CVV, PIN, key or api key.
#pragma once

#include <initializer_list>
#include <string_view>
#include <utility>

#include <boost/json/value_ref.hpp>

namespace issuerd::log {

enum class Level { debug, info, warn, error };

// value_ref takes strings, numbers and bools as they are, like boost::json::object's
// own initializer list; it lives only for the call.
using Field = std::pair<boost::json::string_view, boost::json::value_ref>;

void write(Level level, std::string_view event, std::initializer_list<Field> fields = {});
inline void info(std::string_view event, std::initializer_list<Field> fields = {}) { write(Level::info, event, fields); }
inline void warn(std::string_view event, std::initializer_list<Field> fields = {}) { write(Level::warn, event, fields); }
inline void error(std::string_view event, std::initializer_list<Field> fields = {}) { write(Level::error, event, fields); }

// Lines below this level are dropped (default info).
void set_min_level(Level level);

}  // namespace issuerd::log
