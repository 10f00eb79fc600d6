// Operator routes for merchant callbacks (webhooks):
//   POST /admin/v1/merchants/{id}/webhooks/test   queue a WEBHOOK_TEST callback; 202 {"event_id"}
//   GET  /admin/v1/merchants/{id}/events?limit=N  the merchant's outbox events, newest first
//                                                 (limit 1..1000, default 50)
// Both answer 404 (problem+json) for an unknown merchant. Setting the URL itself is
// POST /admin/v1/merchants/{id}/webhooks (admin_api.cpp).
#pragma once

#include "api/shared/services.h"
#include "http/router.h"

namespace issuerd::api::admin {

void register_webhook_routes(http::Router& router, Services& services);

}  // namespace issuerd::api::admin
