// RFC 9457 problem details (application/problem+json): the error envelope of the admin
// and simulator APIs, and of any path no dialect claims.
#pragma once

#include "common/result.h"
#include "http/message.h"

namespace issuerd::api {

// invalid_json/body_not_object -> 400; other invalid_argument -> 422; unauthenticated 401;
// forbidden 403; not_found 404; conflict and failed_precondition 409; unavailable 503;
// internal 500.
int problem_status(const Error& error);
http::Response problem_response(const Error& error);

}  // namespace issuerd::api
