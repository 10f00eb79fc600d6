// How a MusePay-dialect request is authenticated and run.
//
// Every body carries partner_id, sign_type, timestamp, nonce and sign (VENDOR-NOTES.md).
// - A merchant that registered a public key must sign: partner_id names it, sign_type is
//   "RSA", `sign` verifies over the canonical string (406 otherwise), `timestamp` (seconds
//   or milliseconds) is within 5 minutes of the server's wall clock and `nonce` was not
//   used before (412 otherwise). The api key is then not needed.
// - Otherwise the api key is required (x-api-key or Authorization: Bearer), and a
//   partner_id, if sent, must name that same merchant.
// Missing or wrong credentials: 401 in MusePay's envelope.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "api/shared/idempotency.h"
#include "api/shared/services.h"
#include "http/router.h"
#include "storage/store.h"

namespace issuerd::api::musepay {

struct Call {
  storage::MerchantRecord merchant;
  boost::json::object body;
  std::string path;
  std::optional<std::string> nonce;  // spent on the writer when the request was signed
};

using CallHandler = std::function<void(Services&, Call, http::Responder)>;

// Authenticates, then hands the call to `handler`; failures answer in MusePay's envelope.
http::RouteHandler route(Services& services, CallHandler handler);

Result<Call> authenticate(Services& services, const http::Request& request);

// Runs `apply` on the writer, exactly once per request_id when `request_id` is not empty
// (a replay answers the first response; a reused request_id with other fields: 202224).
// The nonce, if any, is spent first whatever `apply` decides.
void submit(Services& services, const Call& call, std::string route_pattern, std::string request_id,
            std::function<WriteOutcome(storage::Store&)> apply, http::Responder respond,
            std::function<void()> after_commit = {});

// Runs a read on the writer's connection (so that a signed request's nonce is spent in the
// same step); `read` returns the data object of the reply or an error.
void submit_read(Services& services, const Call& call, std::string route_pattern,
                 std::function<Result<boost::json::value>(storage::Store&)> read, http::Responder respond);

}  // namespace issuerd::api::musepay
