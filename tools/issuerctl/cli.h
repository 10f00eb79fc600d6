// issuerctl internals: parsed arguments, the command table, and output helpers.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace issuerctl {

// A bad invocation: exit status 2, message and usage on stderr.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The words and options after the program name. Options are "--name value" or
// "--name=value"; every option except --help takes a value.
struct Args {
  std::vector<std::string> words;  // command words, then positional arguments
  std::vector<std::pair<std::string, std::string>> options;  // name without "--"
  bool help = false;

  std::optional<std::string> get(std::string_view name) const;  // the last one given
  std::vector<std::string> all(std::string_view name) const;
  std::string required(std::string_view name) const;  // throws UsageError if absent
};

Args parse_args(int argc, char** argv);  // throws UsageError

// One HTTP request a command sends.
struct Call {
  std::string method;
  std::string target;
  std::string body;  // JSON text, or empty
  std::vector<std::pair<std::string, std::string>> headers;
  bool needs_token = true;
};

struct Command {
  std::vector<std::string_view> words;      // {"merchants", "create"}
  std::vector<std::string_view> positional;  // names of positional arguments, e.g. {"ID"}
  std::vector<std::string_view> options;     // options it accepts (besides the global ones)
  std::string_view synopsis;                 // for the usage text
  // Builds the request; positional holds exactly positional.size() values.
  std::function<Call(const Args& args, const std::vector<std::string>& positional)> build;
};

const std::vector<Command>& commands();
std::string usage_text();

// Options every command accepts.
inline constexpr std::string_view kGlobalOptions[] = {"server", "admin-token", "key-dir"};

// Percent-encodes everything except RFC 3986 unreserved characters.
std::string percent_encode(std::string_view text);
// 32 random lowercase hex characters.
std::string random_key();
// Pretty-prints JSON text (two-space indent); returns the text unchanged if it is not JSON.
std::string pretty_json(std::string_view text);

}  // namespace issuerctl
