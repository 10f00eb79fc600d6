// AdPos credentials.
//
// POST /auth/access-token takes the merchant's own credentials, {merchant_id, api_key}
// (JSON or a form), and answers {access_token, token_type: "Bearer", expires_in: 86400,
// webhook_secret}. The token is 256 random bits; only its SHA-256 is stored; it expires
// 24 hours after it was made by the wall clock (not the test clock: a credential's life is
// real time). webhook_secret is the merchant's key for AdPos-style signed callbacks, made
// the first time it is needed and the same in every answer.
//
// Every other AdPos route accepts `Authorization: Bearer <access token>`, or the api key
// (x-api-key, or as the Bearer value), and answers 401 otherwise.
#pragma once

#include <functional>
#include <string>

#include <boost/json/value.hpp>

#include "api/shared/services.h"
#include "http/router.h"
#include "storage/store.h"

namespace issuerd::api::adpos {

inline constexpr std::int64_t access_token_lifetime_ms = 24LL * 3600 * 1000;

// The merchant the request acts for, or unauthenticated.
Result<storage::MerchantRecord> authenticate(Services& services, const http::Request& request);

// The merchant's webhook secret (64 hex characters), created now if it has none. Writer only.
Result<std::string> ensure_webhook_secret(storage::Store& store, const std::string& merchant_id);

// A GET route: authenticates, runs `read` on a reader connection (never the writer) and
// answers 200 with its value, or its error in AdPos's envelope.
using ReadHandler = std::function<Result<boost::json::value>(storage::Store&, const storage::MerchantRecord&,
                                                             const http::Request&, const http::PathParams&)>;
http::RouteHandler read_route(Services& services, ReadHandler read);

void register_auth_routes(http::Router& router, Services& services);

}  // namespace issuerd::api::adpos
