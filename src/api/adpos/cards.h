// AdPos's card reads (only cards AdPos issued, origin "adpos"; any other card is 404):
// - GET /cards/{id}: {card_id, card_number (masked: BIN + last 4), card_type, card_bin,
//   currency, status, balance, shared_card_balance, shared_card_balance_unlimit,
//   shared_card_balance_used, auto_topup, auto_topup_rule, single_transaction_limit,
//   single_transaction_unlimit, username, created_at}.
//   balance is what the card can spend now: a standard card's own available balance; for a
//   shared card, the main account's available balance within the remaining cap.
//   shared_card_balance is a shared card's remaining cap (null when unlimited, and for a
//   standard card); amounts are decimal strings.
// - GET /cards?page=&per_page=: those objects, newest first, in a list page.
#pragma once

#include "api/shared/services.h"
#include "http/router.h"

namespace issuerd::api::adpos {

// Register after the literal /cards/... routes (cardbins, tasks): "{id}" matches anything.
void register_card_routes(http::Router& router, Services& services);

}  // namespace issuerd::api::adpos
