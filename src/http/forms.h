// HTML form bodies: application/x-www-form-urlencoded and multipart/form-data (RFC 7578),
// text fields only, read into name/value pairs in the order sent. Bounded (TIGER_STYLE):
// a body with more fields, or a longer name or value, than FormLimits allows is refused
// rather than truncated, so a handler never acts on part of what the client sent.
//
// Every failure is invalid_argument with reason "malformed_form" (or "form_too_large" for
// a limit) and a message that never quotes the body.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace issuerd::http {

using FormFields = std::vector<std::pair<std::string, std::string>>;

struct FormLimits {
  std::size_t fields_max = 100;
  std::size_t name_bytes_max = 128;
  std::size_t value_bytes_max = 16 * 1024;
};

// What a Content-Type header announces, by its media type (case-insensitive, parameters
// ignored). A missing header is `none`.
enum class BodyType { none, json, urlencoded, multipart, other };
BodyType body_type(std::string_view content_type);

// "a=1&b=x%20y": '+' is a space, %XX escapes are decoded in names and values. Empty pairs
// ("a=1&&b=2") are skipped; a pair without '=' is a field with an empty value.
Result<FormFields> parse_urlencoded(std::string_view body, const FormLimits& limits = {});

// The boundary parameter of a multipart Content-Type (quoted or not, 1 to 70 characters).
Result<std::string> multipart_boundary(std::string_view content_type);

// A multipart/form-data body under `boundary`. Each part needs
// `Content-Disposition: form-data; name="..."`; a part with a filename (a file upload) is
// refused, other part headers are ignored. Lines end in CRLF, as RFC 2046 requires.
Result<FormFields> parse_multipart(std::string_view body, std::string_view boundary, const FormLimits& limits = {});

// Either of the above, chosen by the Content-Type; any other type is malformed_form.
Result<FormFields> parse_form(std::string_view body, std::string_view content_type, const FormLimits& limits = {});

}  // namespace issuerd::http
