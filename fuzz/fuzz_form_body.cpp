// Form bodies (src/http/forms.h): parse_urlencoded, multipart_boundary, parse_multipart and
// parse_form. Input: the first line is the Content-Type, the rest the body.
//
// Properties: a refusal is invalid_argument "malformed_form" or "form_too_large"; an
// accepted form respects its limits; a urlencoded form re-encoded field by field parses to
// the same fields.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "http/forms.h"

namespace {

namespace http = issuerd::http;

void check(const issuerd::Result<http::FormFields>& fields, const http::FormLimits& limits) {
  if (!fields.ok()) {
    FUZZ_CHECK(fields.error().kind == issuerd::ErrorKind::invalid_argument);
    FUZZ_CHECK(fields.error().reason == "malformed_form" || fields.error().reason == "form_too_large");
    return;
  }
  FUZZ_CHECK(fields->size() <= limits.fields_max);
  for (const auto& [name, value] : *fields) {
    FUZZ_CHECK(name.size() <= limits.name_bytes_max);
    FUZZ_CHECK(value.size() <= limits.value_bytes_max);
  }
}

std::string encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out += '%';
    out += kHex[u >> 4];
    out += kHex[u & 0xf];
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string_view content_type = input.substr(0, newline);
  const std::string_view body = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  const http::FormLimits limits{8, 32, 256};

  (void)http::body_type(content_type);
  check(http::parse_form(body, content_type, limits), limits);
  check(http::parse_form(body, content_type), {});

  auto urlencoded = http::parse_urlencoded(body, limits);
  check(urlencoded, limits);
  if (urlencoded.ok()) {
    std::string again;
    for (const auto& [name, value] : *urlencoded) {
      if (!again.empty()) again += '&';
      again += encode(name) + "=" + encode(value);
    }
    auto reparsed = http::parse_urlencoded(again, limits);
    // Re-encoding triples the bytes on the wire, not the decoded sizes, so limits still hold.
    FUZZ_CHECK(reparsed.ok());
    FUZZ_CHECK(*reparsed == *urlencoded);
  }

  auto boundary = http::multipart_boundary(content_type);
  if (boundary.ok()) {
    FUZZ_CHECK(!boundary->empty() && boundary->size() <= 70);
    check(http::parse_multipart(body, *boundary, limits), limits);
  }
  return 0;
}
