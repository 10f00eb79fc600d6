// Helpers of the leak scans: read a file whole, and find a short secret only where it
// stands alone.
#pragma once

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace issuerd::e2e {

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A short secret (a PIN, a CVV) counts only where it stands alone: inside a hex hash, an
// id or a timestamp its digits turn up by chance.
inline bool contains_standalone(const std::string& haystack, const std::string& needle) {
  const auto is_alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) {
    const bool left_free = at == 0 || !is_alnum(haystack[at - 1]);
    const bool right_free = at + needle.size() >= haystack.size() || !is_alnum(haystack[at + needle.size()]);
    if (left_free && right_free) return true;
  }
  return false;
}

}  // namespace issuerd::e2e
