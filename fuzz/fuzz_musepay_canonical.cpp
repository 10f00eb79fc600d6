// The MusePay canonical string (the bytes a request signature covers) of any body the
// server can parse. Properties: it never covers the `sign` member; it does not depend
// on the order of the members (an object rebuilt in reverse order canonicalises the same);
// it is deterministic.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/parse.hpp>

#include "crypto/musepay_signature.h"
#include "fuzz_support.h"

namespace {

namespace bj = boost::json;

// A deep copy with every object's members inserted in reverse order.
bj::value reversed(const bj::value& value) {
  if (value.is_object()) {
    const bj::object& object = value.get_object();
    std::vector<const bj::key_value_pair*> members;
    for (const auto& member : object) members.push_back(&member);
    bj::object out;
    for (auto it = members.rbegin(); it != members.rend(); ++it) out[(*it)->key()] = reversed((*it)->value());
    return out;
  }
  if (value.is_array()) {
    bj::array out;
    for (const auto& element : value.get_array()) out.push_back(reversed(element));
    return out;
  }
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Parsed as the server parses a body (json::parse_object: depth 32).
  bj::parse_options options;
  options.max_depth = 32;
  boost::system::error_code ec;
  bj::value value = bj::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec, {}, options);
  if (ec || !value.is_object()) return 0;
  const bj::object& body = value.get_object();

  const std::string canonical = issuerd::crypto::musepay_canonical_string(body);
  FUZZ_CHECK(canonical == issuerd::crypto::musepay_canonical_string(body));
  const bj::value mirrored = reversed(value);
  FUZZ_CHECK(issuerd::crypto::musepay_canonical_string(mirrored.get_object()) == canonical);

  // Without `sign` the string is the same: the signature never covers itself.
  bj::object without_sign = body;
  without_sign.erase("sign");
  FUZZ_CHECK(issuerd::crypto::musepay_canonical_string(without_sign) == canonical);
  return 0;
}
