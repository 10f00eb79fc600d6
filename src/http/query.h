// Query strings and percent-encoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace issuerd::http {

// The value of one hexadecimal digit, or -1.
int hex_digit_value(char c);

// Decodes %XX escapes (and '+' as space when `plus_is_space`); nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

// The first value of `name` in an application/x-www-form-urlencoded query, decoded.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

}  // namespace issuerd::http
