// MusePay card routes that touch a card's secrets (seeds/musepay-card.txt):
// - POST /v1/card/card-sensitive-info hands out a one-time link, valid for 5 minutes and
//   only from the client IP address named in the request;
// - GET /v1/card/sensitive-info/{token} is that link: no merchant credentials (the token
//   is the credential), answers the full PAN, expiry and CVV2 once, as a plain JSON object
//   with Cache-Control: no-store; errors are {"error", "message"} (404 unknown, 410
//   expired or used, 403 from another address, which leaves the link unused);
// - POST /v1/card/get-change-pin-model answers "API";
// - POST /v1/card/change-pin takes the PIN RSA-encrypted under the platform public key and
//   stores it only as a sealed ISO 9564 format 0 PIN block.
// The PAN, CVV2 and PIN never appear in an error, a log line or the database in clear.
#pragma once

#include "api/shared/services.h"
#include "http/router.h"

namespace issuerd::api::musepay {

void register_card_secret_routes(http::Router& router, Services& services);

}  // namespace issuerd::api::musepay
