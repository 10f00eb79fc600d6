// POST /admin/v1/jobs/daily-fees/run {date: YYYY-MM-DD}: settles that day's over-limit fee
// for every budget quota now; idempotent per quota and date.
#pragma once

#include "api/shared/services.h"
#include "http/router.h"

namespace issuerd::api::admin {

void register_daily_fee_routes(http::Router& router, Services& services);

}  // namespace issuerd::api::admin
