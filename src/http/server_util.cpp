#include "http/server_util.h"

#include "http/query.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <thread>

namespace issuerd::http::detail {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Visible ASCII only: no controls, no space, no DEL, no bytes >= 0x80.
bool is_visible_ascii(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f;
}

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t seed_for_this_thread() {
  std::random_device device;
  std::uint64_t seed = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  seed ^= static_cast<std::uint64_t>(
      std::chrono::steady_clock::now().time_since_epoch().count());
  seed ^= static_cast<std::uint64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id()))
          << 1;
  return seed;
}

}  // namespace

bool parse_target(std::string_view target, std::string& path, std::string& query) {
  path.clear();
  query.clear();
  if (target.empty()) return false;
  std::string_view rest = target;
  if (rest.front() != '/') {
    // absolute-form: scheme "://" authority [path-abempty] ["?" query]
    const auto scheme_end = rest.find("://");
    if (scheme_end == std::string_view::npos || scheme_end == 0) return false;
    if (!is_alpha(rest.front())) return false;
    for (char c : rest.substr(0, scheme_end)) {
      if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
    }
    rest.remove_prefix(scheme_end + 3);
    const auto authority_end = rest.find_first_of("/?#");
    const std::string_view authority = rest.substr(0, authority_end);
    if (authority.empty()) return false;
    for (char c : authority) {
      if (!is_visible_ascii(c)) return false;
    }
    rest = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
    if (rest.empty() || rest.front() == '?') path.push_back('/');
  }

  const auto question = rest.find('?');
  const std::string_view raw_path = rest.substr(0, question);
  const std::string_view raw_query =
      question == std::string_view::npos ? std::string_view{} : rest.substr(question + 1);

  path.reserve(path.size() + raw_path.size());
  for (std::size_t i = 0; i < raw_path.size(); ++i) {
    const char c = raw_path[i];
    if (!is_visible_ascii(c) || c == '#') return false;
    if (c != '%') {
      path.push_back(c);
      continue;
    }
    if (i + 2 >= raw_path.size()) return false;  // needs two hex digits after '%'
    const int high = hex_digit_value(raw_path[i + 1]);
    const int low = hex_digit_value(raw_path[i + 2]);
    if (high < 0 || low < 0) return false;
    const int decoded = high * 16 + low;
    if (decoded == 0) return false;
    path.push_back(static_cast<char>(decoded));
    i += 2;
  }
  for (char c : raw_query) {
    if (!is_visible_ascii(c) || c == '#') return false;
  }
  query.assign(raw_query);
  return true;
}

bool is_valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!is_alpha(c) && !is_digit(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

void generate_request_id(char* out) {
  thread_local std::uint64_t state = seed_for_this_thread();
  std::uint64_t value = splitmix64(state);
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = kGeneratedRequestIdLength; i-- > 0;) {
    out[i] = kHex[value & 0xf];
    value >>= 4;
  }
}

bool is_safe_header_value(std::string_view value) {
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool is_header_token(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (is_alpha(c) || is_digit(c)) continue;
    switch (c) {
      case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
      case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        continue;
      default:
        return false;
    }
  }
  return true;
}

}  // namespace issuerd::http::detail
