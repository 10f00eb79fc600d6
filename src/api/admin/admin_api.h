// The platform operator's API under /admin/v1 (Authorization: Bearer <admin token>),
// answering in RFC 9457 problem+json on error. Also /healthz and /metrics.
#pragma once

#include "api/shared/services.h"
#include "http/router.h"

namespace issuerd::api::admin {

// `test_clock`: also register POST /admin/v1/test/clock (only with --test-clock).
void register_routes(http::Router& router, Services& services, bool test_clock);

}  // namespace issuerd::api::admin
