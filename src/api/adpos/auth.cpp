#include "api/adpos/auth.h"

#include <boost/json/object.hpp>

#include "api/adpos/envelope.h"
#include "api/adpos/request_body.h"
#include "api/shared/handler_support.h"
#include "api/shared/idempotency.h"
#include "common/clock.h"
#include "common/json.h"
#include "crypto/hashing.h"

namespace issuerd::api::adpos {

namespace bj = boost::json;

namespace {

constexpr std::size_t credential_bytes_max = 256;

Error unauthenticated(std::string message) {
  return make_error(ErrorKind::unauthenticated, "unauthenticated", std::move(message));
}

std::string bearer_value(const http::Request& request) {
  constexpr std::string_view prefix = "Bearer ";
  const std::string_view header = request.header("authorization").value_or("");
  if (header.size() <= prefix.size() || !header.starts_with(prefix)) return {};
  return std::string(header.substr(prefix.size()));
}

// The merchant behind a live access token; nullopt when the value is no such token.
Result<std::optional<storage::MerchantRecord>> token_merchant(Services& services, const std::string& token) {
  const std::string hash = crypto::sha256_hex(token);
  return services.readers.with_store([&](storage::Store& store) -> Result<std::optional<storage::MerchantRecord>> {
    ISSUERD_ASSIGN(auto found, store.adpos().find_access_token(hash));
    if (!found || found->expires_at_ms <= wall_clock_ms()) return std::optional<storage::MerchantRecord>();
    ISSUERD_ASSIGN(auto merchant, store.find_merchant(found->merchant_id));
    if (!merchant || merchant->status != "active") return std::optional<storage::MerchantRecord>();
    return merchant;
  });
}

struct Credentials {
  std::string merchant_id;
  std::string api_key;
};

Result<Credentials> read_credentials(const http::Request& request) {
  ISSUERD_ASSIGN(bj::object body, read_body(request));
  Credentials credentials;
  ISSUERD_ASSIGN(credentials.merchant_id, json::required_string(body, "merchant_id"));
  ISSUERD_ASSIGN(credentials.api_key, json::required_string(body, "api_key"));
  if (credentials.merchant_id.size() > credential_bytes_max || credentials.api_key.size() > credential_bytes_max) {
    return unauthenticated("The credentials are not valid.");
  }
  return credentials;
}

Result<storage::MerchantRecord> check_credentials(Services& services, const Credentials& credentials) {
  const std::string key_hash = crypto::sha256_hex(credentials.api_key);
  ISSUERD_ASSIGN(auto merchant, services.readers.with_store(
                                    [&](storage::Store& store) { return store.find_merchant_by_api_key_hash(key_hash); }));
  // One answer for an unknown key and a key of another merchant: nothing to probe.
  if (!merchant || merchant->status != "active" || merchant->merchant_id != credentials.merchant_id) {
    return unauthenticated("The credentials are not valid.");
  }
  return std::move(*merchant);
}

WriteOutcome issue_token(storage::Store& store, const std::string& merchant_id) {
  const std::int64_t now_ms = wall_clock_ms();
  const std::string token = "adp_" + crypto::random_token(32);
  auto fail = [](const Error& error) { return WriteOutcome{error_response(error), false}; };
  if (Status pruned = store.adpos().delete_expired_access_tokens(merchant_id, now_ms); !pruned.ok()) {
    return fail(pruned.error());
  }
  storage::AccessTokenRecord record{crypto::sha256_hex(token), merchant_id, now_ms + access_token_lifetime_ms, now_ms};
  if (Status saved = store.adpos().insert_access_token(record); !saved.ok()) return fail(saved.error());
  auto secret = ensure_webhook_secret(store, merchant_id);
  if (!secret.ok()) return fail(secret.error());
  bj::object body{{"access_token", token},
                  {"token_type", "Bearer"},
                  {"expires_in", access_token_lifetime_ms / 1000},
                  {"webhook_secret", *secret}};
  http::Response response = ok(body);
  response.headers.emplace_back("Cache-Control", "no-store");
  return {std::move(response), true};
}

void access_token(Services& services, const http::Request& request, http::Responder respond) {
  auto credentials = read_credentials(request);
  if (!credentials.ok()) return respond(error_response(credentials.error()));
  auto merchant = check_credentials(services, *credentials);
  if (!merchant.ok()) return respond(error_response(merchant.error()));
  IdempotentWrite write;
  write.scope = merchant->merchant_id;
  write.route = "POST /auth/access-token";  // no key: every call is a new token
  write.apply = [merchant_id = merchant->merchant_id](storage::Store& store) { return issue_token(store, merchant_id); };
  write.render_error = error_response;
  submit_idempotent_write(services, std::move(write), std::move(respond));
}

}  // namespace

Result<storage::MerchantRecord> authenticate(Services& services, const http::Request& request) {
  const std::string bearer = bearer_value(request);
  const bool has_api_key_header = !request.header("x-api-key").value_or("").empty();
  if (!bearer.empty() && !has_api_key_header) {
    ISSUERD_ASSIGN(auto merchant, token_merchant(services, bearer));
    if (merchant) return std::move(*merchant);
  }
  // Not a live token: the value may be the api key itself.
  auto merchant = authenticate_merchant(services, request);
  if (!merchant.ok() && merchant.error().kind == ErrorKind::unauthenticated) {
    return unauthenticated("Unauthenticated: send Authorization: Bearer <access token> or x-api-key.");
  }
  return merchant;
}

Result<std::string> ensure_webhook_secret(storage::Store& store, const std::string& merchant_id) {
  ISSUERD_ASSIGN(auto existing, store.adpos().webhook_secret(merchant_id));
  if (existing && !existing->empty()) return std::move(*existing);
  std::string secret = crypto::hex_encode(crypto::random_bytes(32));
  ISSUERD_TRY(store.adpos().set_webhook_secret(merchant_id, secret));
  return secret;
}

http::RouteHandler read_route(Services& services, ReadHandler read) {
  return [&services, read = std::move(read)](const http::Request& request, const http::PathParams& params,
                                             http::Responder respond) {
    auto merchant = authenticate(services, request);
    if (!merchant.ok()) return respond(error_response(merchant.error()));
    auto value = services.readers.with_store(
        [&](storage::Store& store) { return read(store, *merchant, request, params); });
    respond(value.ok() ? ok(*value) : error_response(value.error()));
  };
}

void register_auth_routes(http::Router& router, Services& services) {
  router.add("POST", "/auth/access-token",
             [&services](const http::Request& request, const http::PathParams&, http::Responder respond) {
               access_token(services, request, std::move(respond));
             });
}

}  // namespace issuerd::api::adpos
