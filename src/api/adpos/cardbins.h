// GET /cards/cardbins: the bins this merchant may issue on, each as the "N:BIN" code that
// /cards/apply's card_bin takes, where N is the card product's id and BIN its BIN (one BIN
// may serve several products, so the BIN alone would not name one). Products are those
// open to the merchant (open to all, or listing it).
#pragma once

#include <string>

#include "api/shared/services.h"
#include "http/router.h"
#include "storage/store.h"

namespace issuerd::api::adpos {

std::string card_bin_code(const storage::CardProductRecord& product);
bool product_open_to(const storage::CardProductRecord& product, const std::string& merchant_id);

void register_cardbin_routes(http::Router& router, Services& services);

}  // namespace issuerd::api::adpos
