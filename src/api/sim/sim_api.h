// The network simulator (/sim/v1): the card network's side of a transaction, so a
// merchant can swipe its cards in a sandbox. Authenticated by a merchant's api key (its own
// cards only) or the admin token (any card). Every POST takes an Idempotency-Key.
// Errors are RFC 9457 problem+json; a decline is not an error but a recorded outcome.
#pragma once

#include "api/shared/services.h"
#include "http/router.h"

namespace issuerd::api::sim {

void register_routes(http::Router& router, Services& services);

}  // namespace issuerd::api::sim
