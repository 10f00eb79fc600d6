// The AdPos dialect (seeds/adpos-cards-apply.txt, VENDOR-NOTES.md "AdPos Pay"), at the
// root of the server: POST /auth/access-token (auth.h), GET /cards/cardbins (cardbins.h),
// POST /cards/apply (apply.h), GET /cards/tasks[/{task_id}] (tasks.h), GET /cards[/{id}]
// (cards.h). Plain JSON answers and errors (envelope.h); bodies as JSON or forms
// (request_body.h). Its transaction callbacks are signed with the merchant's webhook secret
// (jobs/outbox.cpp).
#pragma once

#include "api/shared/services.h"
#include "http/router.h"

namespace issuerd::api::adpos {

void register_routes(http::Router& router, Services& services);

}  // namespace issuerd::api::adpos
