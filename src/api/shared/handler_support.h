// Small pieces every dialect's handlers use: JSON responses, credentials, paging.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "api/shared/services.h"
#include "common/json.h"
#include "http/message.h"
#include "storage/store.h"

namespace issuerd::api {

http::Response json_response(int status, const boost::json::value& body);
// The same for an object, without first copying it into a boost::json::value.
http::Response json_response(int status, const boost::json::object& body);
// A JSON body already written as text (json::ObjectText).
http::Response json_text_response(int status, std::string body);

// `Authorization: Bearer <admin token>`; unauthenticated otherwise.
Status authenticate_admin(const Services& services, const http::Request& request);

// The api key from `x-api-key`, else from `Authorization: Bearer`; "" when neither.
std::string presented_api_key(const http::Request& request);
// The merchant whose api key the request presents; unauthenticated when missing or wrong.
Result<storage::MerchantRecord> authenticate_merchant(Services& services, const http::Request& request);

// Paging from the query string: `page_name` >= 1 (default 1) and 1 <= `size_name` <= size_max
// (default size_default). invalid_argument naming the parameter otherwise.
Result<json::Page> read_page(std::string_view query, std::string_view page_name, std::string_view size_name,
                             std::int64_t size_default, std::int64_t size_max);

// An api key: "isk_" + 32 random bytes, Base64url. Only its SHA-256 is stored.
std::string new_api_key();

}  // namespace issuerd::api
