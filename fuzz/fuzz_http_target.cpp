// The server's own request-line handling, without sockets: detail::parse_target (split
// and percent-decode the request-target), http::query_param and http::percent_decode on
// the raw query, and the header and request-id checks.
//
// Properties: an accepted target gives a path that starts with '/', holds no NUL and is
// no longer than the target, and a query of visible ASCII without '#'; percent_decode
// never grows its input and inverts a plain %XX encoding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "http/query.h"
#include "http/server_util.h"

namespace {

std::string percent_encode_all(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back('%');
    out.push_back(kHex[u >> 4]);
    out.push_back(kHex[u & 0xf]);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  namespace http = issuerd::http;

  std::string path;
  std::string query;
  if (http::detail::parse_target(input, path, query)) {
    FUZZ_CHECK(!path.empty() && path.front() == '/');
    FUZZ_CHECK(path.find('\0') == std::string::npos);
    FUZZ_CHECK(path.size() <= input.size() + 1);
    FUZZ_CHECK(query.size() < input.size());
    for (char c : query) {
      const auto u = static_cast<unsigned char>(c);
      FUZZ_CHECK(u > 0x20 && u < 0x7f && c != '#');
    }
    // What handlers ask of the query.
    for (std::string_view name : {"page", "page_size", "limit", "id", ""}) {
      auto value = http::query_param(query, name);
      if (value) FUZZ_CHECK(value->size() <= query.size());
    }
  }

  for (bool plus_is_space : {false, true}) {
    auto decoded = http::percent_decode(input, plus_is_space);
    if (decoded) FUZZ_CHECK(decoded->size() <= input.size());
  }
  auto round_trip = http::percent_decode(percent_encode_all(input), false);
  FUZZ_CHECK(round_trip && *round_trip == input);

  // The whole input as a query string, and as a header name, value and request id.
  const auto eq = input.find('=');
  if (eq != std::string_view::npos) (void)http::query_param(input, input.substr(0, eq));
  (void)http::detail::is_header_token(input);
  (void)http::detail::is_safe_header_value(input);
  if (http::detail::is_valid_request_id(input)) FUZZ_CHECK(size >= 1 && size <= 64);
  return 0;
}
