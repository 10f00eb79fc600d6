// Field readers shared by the MusePay handlers (errors name the field, MusePay's 400).
#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "common/json.h"
#include "common/result.h"

namespace issuerd::api::musepay {

// A required string of 1..max_length characters (ids, request ids, names).
Result<std::string> required_text(const boost::json::object& body, std::string_view field, std::size_t max_length = 64);
// Digits only, 4 to 20 of them.
Result<std::string> phone_number(const boost::json::object& body);
// Country calling code: 1 to 4 digits, an optional leading '+' dropped.
Result<std::string> phone_area_code(const boost::json::object& body);

}  // namespace issuerd::api::musepay
