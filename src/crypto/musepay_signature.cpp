#include "crypto/musepay_signature.h"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace issuerd::crypto {

namespace json = boost::json;

namespace {

bool is_blank(const json::value& v) {
  if (v.is_null()) return true;
  if (!v.is_string()) return false;
  const json::string& s = v.get_string();
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  });
}

// Members that are not blank, sorted by key (byte order).
std::vector<std::pair<std::string_view, const json::value*>> sorted_members(const json::object& o) {
  std::vector<std::pair<std::string_view, const json::value*>> members;
  members.reserve(o.size());
  for (const auto& kv : o) {
    if (is_blank(kv.value())) continue;
    members.emplace_back(std::string_view(kv.key().data(), kv.key().size()), &kv.value());
  }
  std::sort(members.begin(), members.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return members;
}

// Compact JSON with object keys sorted and blank object members dropped, recursively.
// Array elements keep their positions (a null element stays null).
void write_canonical_json(const json::value& v, std::string& out) {
  if (v.is_object()) {
    out.push_back('{');
    bool first = true;
    for (const auto& [key, value] : sorted_members(v.get_object())) {
      if (!first) out.push_back(',');
      first = false;
      out.append(json::serialize(json::string_view(key.data(), key.size())));
      out.push_back(':');
      write_canonical_json(*value, out);
    }
    out.push_back('}');
  } else if (v.is_array()) {
    out.push_back('[');
    bool first = true;
    for (const auto& element : v.get_array()) {
      if (!first) out.push_back(',');
      first = false;
      write_canonical_json(element, out);
    }
    out.push_back(']');
  } else if (v.is_double()) {
    // Shortest round-trip decimal ("1.5", not Boost's "1.5E0"): what a partner's JSON
    // library writes for the same number. Exact amounts should travel as strings anyway.
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v.get_double());
    out.append(buffer, ec == std::errc() ? end : buffer);
  } else {
    out.append(json::serialize(v));
  }
}

}  // namespace

std::string musepay_canonical_string(const json::object& body, std::initializer_list<std::string_view> also_skip) {
  std::string out;
  bool first = true;
  for (const auto& [key, value] : sorted_members(body)) {
    if (key == "sign" || std::find(also_skip.begin(), also_skip.end(), key) != also_skip.end()) continue;
    if (!first) out.push_back('&');
    first = false;
    out.append(key);
    out.push_back('=');
    if (value->is_string()) {
      const json::string& s = value->get_string();
      out.append(s.data(), s.size());
    } else {
      write_canonical_json(*value, out);
    }
  }
  return out;
}

std::string musepay_sign(const json::object& body, const RsaPrivateKey& key) {
  return key.sign_sha1(musepay_canonical_string(body));
}

bool musepay_verify(const json::object& body, const RsaPublicKey& key) {
  const json::value* sign = body.if_contains("sign");
  if (sign == nullptr || !sign->is_string()) return false;
  const json::string& s = sign->get_string();
  return key.verify_sha1(musepay_canonical_string(body),
                         std::string_view(s.data(), s.size()));
}

}  // namespace issuerd::crypto
