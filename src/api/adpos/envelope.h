// AdPos's envelope: plain JSON, no wrapper. A success is the resource itself ({"task_id":
// 12001}); an error is {"message": "...", "reason": "..."} with the HTTP status saying what
// happened, and a validation error lists every invalid field the way AdPos's (Laravel)
// backend does: 422 {"message": "...", "errors": {"field": ["..."]}}. `reason` is an
// addition: a stable, machine-readable word for the error.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/json.h"
#include "common/result.h"
#include "http/message.h"

namespace issuerd::api::adpos {

http::Response ok(const boost::json::value& body);

// Malformed body (invalid_json, body_not_object, malformed_form, form_too_large,
// duplicate_field) 400; unsupported_media_type 415; other invalid_argument 422 with
// `errors` naming error.field; unauthenticated 401; forbidden and failed_precondition
// (a business refusal: "Permission Denied" in the seed) 403; not_found 404; conflict 409
// (a request_id reused with other parameters); unavailable 503; internal 500.
int status_for(const Error& error);
http::Response error_response(const Error& error);

// Field-level validation failures, in the order found: (field, message).
using FieldErrors = std::vector<std::pair<std::string, std::string>>;
// 422; `message` is the first error's, with "(and N more errors)" as Laravel words it.
http::Response validation_response(const FieldErrors& errors);

// A list page: {"data": [...], "meta": {current_page, per_page, total, last_page}}, the
// shape of AdPos's (Laravel) paginated resources. Query: page (default 1), per_page
// (default 20, at most 100).
inline constexpr std::int64_t per_page_default = 20;
inline constexpr std::int64_t per_page_max = 100;
Result<json::Page> read_list_page(const http::Request& request);
boost::json::object list_page(boost::json::array data, const json::Page& page, std::int64_t total);

inline constexpr const char* reason_unsupported_media_type = "unsupported_media_type";

}  // namespace issuerd::api::adpos
