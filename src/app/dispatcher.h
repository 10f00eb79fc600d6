// Turns the router into the server's Handler: matches the route, answers 404/405 in
// problem+json, and records metrics (and, with --log-requests, an access log line).
#pragma once

#include "common/metrics.h"
#include "http/message.h"
#include "http/router.h"

namespace issuerd::app {

http::Handler make_dispatcher(const http::Router& router, Metrics& metrics, bool log_requests);

}  // namespace issuerd::app
