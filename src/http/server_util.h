// Small, Beast-free pieces of the server's request handling, kept apart so they can be
// unit-tested directly: target splitting and percent-decoding, request ids.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace issuerd::http::detail {

// Splits a request-target (origin-form "/a%20b?x=1", or absolute-form
// "http://host/a?x=1") into its percent-decoded path and raw query. Returns false for a
// target that does not parse: not origin- or absolute-form, a bad or NUL %-escape, a
// fragment, control or non-ASCII characters.
bool parse_target(std::string_view target, std::string& path, std::string& query);

// A client-sent X-Request-Id is used when it is 1..64 characters of [A-Za-z0-9._-].
bool is_valid_request_id(std::string_view id);

inline constexpr std::size_t kGeneratedRequestIdLength = 16;
// Writes 16 lowercase hex characters (a per-thread pseudo-random 64-bit value) to out.
void generate_request_id(char* out);

// True when the text can be put into a header field value (no CR, LF or NUL).
bool is_safe_header_value(std::string_view value);
// True when the text is a non-empty RFC 9110 token (a valid header field name).
bool is_header_token(std::string_view name);

}  // namespace issuerd::http::detail
