// The HashDT resources that card/limit's headers refer to, so that a HashDT client can
// create what it then limits (VENDOR-NOTES.md names them; their shapes are issuerd's):
//
//   POST /issuing/api/{version}/cardholder   x-request-id; body {first_name, last_name,
//        email, phone_number?, date_of_birth? (YYYY-MM-DD), external_id?}
//        -> data [{cardholder_id, external_id, first_name, last_name, email, phone_number,
//                  date_of_birth, kyc_status, status, created_at}]
//        The holder is the same record MusePay's carduser names (cardholder_id is its
//        user_id); external_id is the client's own key for it (MusePay's user_xid),
//        generated when not sent; an external_id already in use: 409. KYC is PASSED and
//        the status ACTIVE at once (the sandbox does no identity checks).
//   GET  /issuing/api/{version}/cardholder   x-cardholder-id -> the same item
//   POST /issuing/api/{version}/card         x-cardholder-id, x-product-id, x-request-id;
//        body {card_type: virtual|physical (must be the product's form, 400), embossed_name?}
//        -> data [{card_id, wallet_id, cardholder_id, product_id, card_type, status,
//                  masked_pan, expiry_month, expiry_year, currency, embossed_name}]
//        Issued at once, funded by its own balance (wallet_id is that ledger account). One
//        live card per holder per product: 409 for a second. Never the full PAN.
//   GET  /issuing/api/{version}/card         x-cardholder-id, x-card-id -> the same item
//        plus available_balance (decimal string)
//
// Writes are exactly-once per x-request-id (hashdt_api.h); another merchant's holder,
// product or card is 404.
#pragma once

#include "api/shared/services.h"
#include "http/router.h"

namespace issuerd::api::hashdt {

void register_resource_routes(http::Router& router, Services& services);

}  // namespace issuerd::api::hashdt
