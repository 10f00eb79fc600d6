// Currencies issuerd handles, with their ISO 4217 minor-unit exponents (plus USDT).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace issuerd {

struct Currency {
  std::string_view code;   // "USD"
  int exponent;            // digits after the decimal point: USD 2, JPY 0, KWD 3
  std::string_view numeric;  // ISO 4217 numeric code, "840"; "" for USDT
};

// The currency with this upper-case alphabetic code, or nullopt if issuerd does not know it.
std::optional<Currency> find_currency(std::string_view code);

// Every known currency, sorted by code.
const std::vector<Currency>& all_currencies();

}  // namespace issuerd
