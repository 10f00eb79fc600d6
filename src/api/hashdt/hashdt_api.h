// The HashDT dialect (seeds/hashdt-card-spend-limit.txt) under /issuing/api/{version}/:
// card/limit (limits.h), cardholder and card (resources.h). This header also holds what
// those routes share: how a request is admitted, the idempotent write, and finding the
// card that the x-* headers name.
//
// Admission, in this order (each failure answers in HashDT's envelope, envelope.h):
// 1. {version} must be "v1": 404 "unsupported_version" otherwise.
// 2. The api key, x-api-key or Authorization: Bearer <api key>: 401 when missing or wrong.
//    When both are sent (the seed's examples do), x-api-key authenticates and the Bearer
//    access token is not interpreted. x-client-id is accepted and ignored.
// 3. The route's required headers, each 1 to 255 characters: 400 naming the header.
// 4. A route that takes a body: when one is sent, Content-Type must be application/json
//    (parameters such as charset allowed), 415 otherwise; it must be a JSON object (400).
//    No body reads as {} (the fields' own checks then name what is missing).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "api/shared/idempotency.h"
#include "api/shared/services.h"
#include "http/router.h"
#include "storage/store.h"

namespace issuerd::api::hashdt {

void register_routes(http::Router& router, Services& services);

inline constexpr std::string_view api_version = "v1";

struct RouteSpec {
  std::string operation;                      // "POST /issuing/api/{version}/card/limit"
  std::vector<std::string> required_headers;  // beyond the api key
  bool takes_body = false;
};

// An admitted request.
struct Call {
  storage::MerchantRecord merchant;
  std::string operation;   // RouteSpec::operation: also the idempotency route
  http::Request request;
  boost::json::object body;  // {} for routes without a body
  // The header's value; "" when absent (a required one is always present).
  std::string header(std::string_view lowercase_name) const;
};

using CallHandler = std::function<void(Services&, Call, http::Responder)>;

// Admits the request as described above, then hands it to `handler`.
http::RouteHandler route(Services& services, RouteSpec spec, CallHandler handler);

// Runs `apply` on the writer, exactly once per x-request-id (scope: merchant + operation).
// The same key with the same request replays the first response byte for byte; with
// another request (other body fields or other x-* headers): 409 idempotency_key_reused.
// `normalized` is the parsed body, so that field order or an omitted default does not
// make a retry "another request". Only a write that took effect is remembered.
void submit_write(Services& services, const Call& call, const boost::json::object& normalized,
                  std::function<WriteOutcome(storage::Store&)> apply, http::Responder respond);

// The headers that name one card of one holder.
struct CardHeaders {
  std::string product_id;  // x-product-id
  std::string holder_id;   // x-cardholder-id
  std::string wallet_id;   // x-wallet-id
  std::string card_id;     // x-card-id
};
CardHeaders card_headers(const Call& call);

// The card the headers name, scoped to the merchant; not_found naming the header that does
// not fit: x-card-id (no such card of this holder), x-product-id (not the card's product;
// 404 rather than 400 because together the headers name no card), x-wallet-id.
Result<storage::CardRecord> find_named_card(storage::Store& store, const std::string& merchant_id,
                                            const CardHeaders& headers);

// A card's wallet: the ledger account its spending draws on (engine::funding_source: a
// card_balance card's own account, a shared quota's account, the merchant's main account);
// its account_id is the wallet_id. nullopt while that account does not exist yet, which
// then matches no x-wallet-id.
Result<std::optional<domain::Account>> wallet_of(storage::Store& store, const storage::CardRecord& card);

Error invalid(std::string reason, std::string message, std::string field);

}  // namespace issuerd::api::hashdt
