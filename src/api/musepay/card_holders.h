// Card holders: POST /v1/carduser/create and /v1/carduser/query.
//
// KYC rule: a holder's KYC passes at once (kyc_status PASSED); issuerd holds the data the
// partner collected and verified. A product that needs manual review is a later feature.
// user_xid is unique per merchant: creating it again with the same details returns the
// same holder; with other details it is refused.
#pragma once

#include "api/shared/services.h"
#include "http/router.h"

namespace issuerd::api::musepay {

void register_card_holder_routes(http::Router& router, Services& services);

}  // namespace issuerd::api::musepay
