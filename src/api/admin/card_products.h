// Card products: what a card is issued as (BIN, network, currency, level, form) and the
// product-level settings later features read (expiry years, over-limit fee rate). A
// product may be restricted to listed merchants.
#pragma once

#include "api/shared/services.h"
#include "http/router.h"

namespace issuerd::api::admin {

void register_card_product_routes(http::Router& router, Services& services);

}  // namespace issuerd::api::admin
