// HashDT's envelope (seeds/hashdt-card-spend-limit.txt, VENDOR-NOTES.md):
//   success {"status": "Success", "message": "...", "code": 200, "data": [...]}
//   error   {"status": "Error",   "message": "...", "code": 4xx,  "data": [], "reason": "...", "field": "..."}
// The seed shows only successes; errors keep the same four keys so a client written for
// it reads them the same way, with status "Error" (the seed's vendor never shows
// "Failed", and "Error" says what happened). `reason` (stable, machine-readable) and
// `field` (the header or body field at fault, when there is one) are additions. The HTTP
// status always equals `code`.
#pragma once

#include <string>

#include <boost/json/array.hpp>

#include "common/result.h"
#include "http/message.h"

namespace issuerd::api::hashdt {

// 200 with `data` (an array, as in every seed example).
http::Response success(const std::string& message, boost::json::array data = {});

// invalid_argument 400 (unsupported_media_type 415), unauthenticated 401, forbidden 403,
// not_found 404, conflict 409, failed_precondition 422, unavailable 503, internal 500.
int status_for(const Error& error);
http::Response error_response(const Error& error);

inline constexpr const char* reason_unsupported_media_type = "unsupported_media_type";

}  // namespace issuerd::api::hashdt
