// POST, GET, PATCH and DELETE /issuing/api/{version}/card/limit: a card's spend limits.
//
// A HashDT limit is the shared spend control (storage SpendControlRecord, one per card,
// transaction type and period) that MusePay's limitChange and AdPos's
// single_transaction_limit also write, and that the authorization engine enforces: a
// limit set through any dialect is listed, changed and enforced through every other.
//
// Decisions where the seed is silent (docs/api.md, "HashDT dialect"):
// - amount_limit is a positive JSON integer in whole units of the card's currency (100
//   USD), stored as minor units (x 10^exponent). currency_code is required on POST and
//   optional on PATCH and DELETE; when sent it must be the card's currency (400 naming
//   currency_code): limits are held in the card's currency, no conversion.
// - transaction_type defaults to PURCHASE on every verb.
// - ATM_CASH_WITHDRAWAL takes only DAY and MONTH (400 otherwise) and at most the
//   VENDOR-NOTES caps: USD DAY 3750, MONTH 7500; SGD DAY 5000, MONTH 10000. Other
//   currencies have no cap. The vendor's "default" ATM limits are informational: a card
//   without an ATM limit has none.
// - POST when the (period, type) limit exists: 409 (change it with PATCH). PATCH or
//   DELETE of a limit that does not exist: 404.
// - GET lists every limit with, beyond the seed, amount_limit_decimal (exact; a limit set
//   through another dialect may have cents, and amount_limit then shows whole units
//   rounded down), used_amount (this window's usage; null for TRANSACTION) and resets_at
//   (the window's end, RFC 3339 UTC; null for LIFETIME and TRANSACTION). Windows are
//   calendar windows in UTC on the server's business clock.
#pragma once

#include "api/shared/services.h"
#include "http/router.h"

namespace issuerd::api::hashdt {

void register_limit_routes(http::Router& router, Services& services);

}  // namespace issuerd::api::hashdt
