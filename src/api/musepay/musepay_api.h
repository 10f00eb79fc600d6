// Every MusePay-dialect route (/v1/...).
#pragma once

#include "api/shared/services.h"
#include "http/router.h"

namespace issuerd::api::musepay {

void register_routes(http::Router& router, Services& services);

}  // namespace issuerd::api::musepay
