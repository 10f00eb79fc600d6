#include "api/hashdt/hashdt_api.h"

#include <algorithm>
#include <cctype>

#include "api/hashdt/envelope.h"
#include "api/hashdt/limits.h"
#include "api/hashdt/resources.h"
#include "api/shared/handler_support.h"
#include "common/json.h"
#include "engine/funding.h"

namespace issuerd::api::hashdt {

namespace bj = boost::json;

namespace {

// Longer than any id issuerd hands out or a client's idempotency key needs; bounded so
// that a header cannot bloat the idempotency table.
constexpr std::size_t header_length_max = 255;

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) text.remove_suffix(1);
  return text;
}

// "application/json", in any case, with or without parameters ("; charset=utf-8").
bool is_json_media_type(std::string_view content_type) {
  std::string_view media = trim(content_type.substr(0, content_type.find(';')));
  constexpr std::string_view json_type = "application/json";
  return media.size() == json_type.size() &&
         std::equal(media.begin(), media.end(), json_type.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

Status check_version(const http::PathParams& params) {
  const std::string& version = params.get("version");
  if (version == api_version) return Status::success();
  return make_error(ErrorKind::not_found, "unsupported_version",
                    "API version '" + version + "' does not exist; this server speaks v1", "version");
}

Status check_headers(const http::Request& request, const std::vector<std::string>& required) {
  for (const std::string& name : required) {
    std::string_view value = request.header(name).value_or("");
    if (value.empty()) return invalid("missing_header", "the " + name + " header is required", name);
    if (value.size() > header_length_max) {
      return invalid("invalid_header", "the " + name + " header must be at most 255 characters", name);
    }
  }
  return Status::success();
}

Result<bj::object> read_body(const http::Request& request) {
  if (request.body.empty()) return bj::object{};
  if (!is_json_media_type(request.header("content-type").value_or(""))) {
    return make_error(ErrorKind::invalid_argument, reason_unsupported_media_type,
                      "Content-Type must be application/json", "Content-Type");
  }
  return json::parse_object(request.body);
}

Result<Call> admit(Services& services, const RouteSpec& spec, const http::Request& request,
                   const http::PathParams& params) {
  ISSUERD_TRY(check_version(params));
  ISSUERD_ASSIGN(storage::MerchantRecord merchant, authenticate_merchant(services, request));
  ISSUERD_TRY(check_headers(request, spec.required_headers));
  bj::object body;
  if (spec.takes_body) { ISSUERD_ASSIGN(body, read_body(request)); }
  return Call{std::move(merchant), spec.operation, request, std::move(body)};
}

}  // namespace

Error invalid(std::string reason, std::string message, std::string field) {
  return make_error(ErrorKind::invalid_argument, std::move(reason), std::move(message), std::move(field));
}

std::string Call::header(std::string_view lowercase_name) const {
  return std::string(request.header(lowercase_name).value_or(""));
}

http::RouteHandler route(Services& services, RouteSpec spec, CallHandler handler) {
  return [&services, spec = std::move(spec), handler = std::move(handler)](
             const http::Request& request, const http::PathParams& params, http::Responder respond) {
    auto call = admit(services, spec, request, params);
    if (!call.ok()) return respond(error_response(call.error()));
    handler(services, std::move(call).value(), std::move(respond));
  };
}

CardHeaders card_headers(const Call& call) {
  return CardHeaders{call.header("x-product-id"), call.header("x-cardholder-id"), call.header("x-wallet-id"),
                     call.header("x-card-id")};
}

void submit_write(Services& services, const Call& call, const bj::object& normalized,
                  std::function<WriteOutcome(storage::Store&)> apply, http::Responder respond) {
  // The x-* headers name what the request acts on, so they are part of "the same request".
  bj::object names;
  for (const char* name : {"x-product-id", "x-cardholder-id", "x-wallet-id", "x-card-id"}) names[name] = call.header(name);
  IdempotentWrite write;
  write.scope = call.merchant.merchant_id;
  write.route = call.operation;
  write.key = call.header("x-request-id");
  write.request_hash = request_hash(call.operation, bj::object{{"headers", names}, {"body", normalized}});
  write.apply = std::move(apply);
  write.render_error = error_response;
  submit_idempotent_write(services, std::move(write), std::move(respond));
}

Result<std::optional<domain::Account>> wallet_of(storage::Store& store, const storage::CardRecord& card) {
  ISSUERD_ASSIGN(engine::FundingSource source, engine::funding_source(store, card));
  return store.find_account(source.account.kind, source.account.owner_id, source.account.currency);
}

Result<storage::CardRecord> find_named_card(storage::Store& store, const std::string& merchant_id,
                                            const CardHeaders& headers) {
  ISSUERD_ASSIGN(auto card, store.cards().find_card(merchant_id, headers.card_id));
  if (!card || card->user_id != headers.holder_id) {
    return make_error(ErrorKind::not_found, "card_not_found", "no card with this x-card-id for this x-cardholder-id",
                      "x-card-id");
  }
  if (card->card_product_id != headers.product_id) {
    return make_error(ErrorKind::not_found, "product_not_found", "x-product-id is not this card's product",
                      "x-product-id");
  }
  ISSUERD_ASSIGN(auto wallet, wallet_of(store, *card));
  if (!wallet || wallet->account_id != headers.wallet_id) {
    return make_error(ErrorKind::not_found, "wallet_not_found", "x-wallet-id is not this card's wallet",
                      "x-wallet-id");
  }
  return std::move(*card);
}

void register_routes(http::Router& router, Services& services) {
  register_limit_routes(router, services);
  register_resource_routes(router, services);
}

}  // namespace issuerd::api::hashdt
