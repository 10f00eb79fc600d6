// FX rates the authorization path converts with: POST /admin/v1/fx-rates
// {base, quote, rate} (1 base = rate quote, exact decimal, at most 9 decimals) and
// GET /admin/v1/fx-rates. A transaction in a currency with no rate to the card's is
// declined 05 (no_fx_rate).
#pragma once

#include "api/shared/services.h"
#include "http/router.h"

namespace issuerd::api::admin {

void register_fx_rate_routes(http::Router& router, Services& services);

}  // namespace issuerd::api::admin
