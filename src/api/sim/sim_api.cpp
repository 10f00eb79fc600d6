#include "api/sim/sim_api.h"

#include <boost/json/object.hpp>

#include "api/shared/handler_support.h"
#include "api/shared/idempotency.h"
#include "api/shared/problem.h"
#include "common/currency.h"
#include "common/money.h"
#include "engine/authorizations.h"

namespace issuerd::api::sim {

namespace bj = boost::json;

namespace {

Error invalid(std::string reason, std::string message, std::string field) {
  return make_error(ErrorKind::invalid_argument, std::move(reason), std::move(message), std::move(field));
}

// Who is calling: a merchant (scope = its id) or the admin (no scope).
struct Caller {
  std::optional<std::string> merchant_scope;
  std::string idempotency_scope;
};

Result<Caller> authenticate(Services& services, const http::Request& request) {
  if (authenticate_admin(services, request).ok()) return Caller{std::nullopt, "admin"};
  ISSUERD_ASSIGN(auto merchant, authenticate_merchant(services, request));
  return Caller{merchant.merchant_id, merchant.merchant_id};
}

bool digits(const std::string& text, std::size_t min, std::size_t max) {
  return text.size() >= min && text.size() <= max && text.find_first_not_of("0123456789") == std::string::npos;
}

std::string amount_text(std::int64_t minor, const std::string& currency) {
  return format_amount(minor, *find_currency(currency));
}

// Written as text (json::ObjectText): a first answer on the connection's I/O thread
// (http::Response::body_maker), a replay's on the writer.
std::string authorization_json(const engine::AuthorizationOutcome& outcome) {
  const storage::AuthorizationRecord& a = outcome.authorization;
  const bool approved = a.status == "APPROVED";
  const Currency card_currency = *find_currency(a.currency);  // once: seven amounts are in it
  auto card_amount = [&card_currency](std::int64_t minor) { return format_amount(minor, card_currency); };
  json::ObjectText merchant;
  merchant.add_optional_text("name", a.merchant_name)
      .add_optional_text("mcc", a.merchant_mcc)
      .add_optional_text("country", a.merchant_country);
  json::ObjectText out;
  out.add_text("authorization_id", a.authorization_id)
      .add_text("status", a.status)
      .add_text("response_code", a.response_code)
      .add_optional_text("decline_reason", a.decline_reason)
      .add_optional_text("card_id", a.card_id.empty() ? std::nullopt : std::optional<std::string>(a.card_id))
      .add_text("state", a.state)
      .add_text("transaction_type", a.transaction_type)
      .add_text("amount", amount_text(a.original_amount_minor, a.original_currency))
      .add_text("currency", a.original_currency)
      .add_text("card_currency", a.currency)
      .add_text("card_amount", card_amount(a.amount_minor))
      .add_optional_text("fx_rate", a.fx_rate)
      .add_text("fx_fee", card_amount(a.fx_fee_minor))
      .add_text("approved_amount", card_amount(approved ? a.amount_minor : 0))
      .add_text("held_amount", card_amount(a.held_minor))
      .add_text("captured_amount", card_amount(a.captured_minor))
      .add_text("refunded_amount", card_amount(a.refunded_minor))
      .add_bool("card_present", a.card_present)
      .add_object("merchant", std::move(merchant))
      .add_text("created_at", format_rfc3339_ms(a.created_at_ms))
      .add_optional_text("available_after", outcome.available_after_minor
                                                ? std::optional<std::string>(
                                                      card_amount(*outcome.available_after_minor))
                                                : std::nullopt);
  return out.finish();
}

// ---- parsing an authorization request ----

Status parse_card(const bj::object& body, engine::AuthorizeInput& in) {
  ISSUERD_ASSIGN(in.card_id, json::optional_string(body, "card_id"));
  ISSUERD_ASSIGN(in.pan, json::optional_string(body, "pan"));
  if (in.card_id.has_value() == in.pan.has_value()) {
    return invalid("missing_field", "send card_id, or pan with expiry_month and expiry_year", "card_id");
  }
  if (in.pan && !digits(*in.pan, 12, 19)) return invalid("invalid_pan", "pan must be 12 to 19 digits", "pan");
  ISSUERD_ASSIGN(in.expiry_month, json::optional_integer(body, "expiry_month"));
  ISSUERD_ASSIGN(in.expiry_year, json::optional_integer(body, "expiry_year"));
  if (in.pan && (!in.expiry_month || !in.expiry_year)) {
    return invalid("missing_field", "a pan needs expiry_month and expiry_year", "expiry_month");
  }
  if (in.expiry_month && (*in.expiry_month < 1 || *in.expiry_month > 12)) {
    return invalid("invalid_expiry", "expiry_month must be 1 to 12", "expiry_month");
  }
  if (in.expiry_year && (*in.expiry_year < 0 || *in.expiry_year > 9999)) {
    return invalid("invalid_expiry", "expiry_year must be 2 or 4 digits", "expiry_year");
  }
  ISSUERD_ASSIGN(in.cvv, json::optional_string(body, "cvv"));
  if (in.cvv && !digits(*in.cvv, 3, 4)) return invalid("invalid_cvv", "cvv must be 3 or 4 digits", "cvv");
  return Status::success();
}

Status parse_acceptor(const bj::object& body, engine::AcceptorInfo& acceptor) {
  const bj::value* merchant = body.if_contains("merchant");
  if (merchant == nullptr || merchant->is_null()) return Status::success();
  if (!merchant->is_object()) return invalid("wrong_type", "merchant must be an object", "merchant");
  const bj::object& m = merchant->get_object();
  ISSUERD_ASSIGN(acceptor.name, json::optional_string(m, "name"));
  ISSUERD_ASSIGN(acceptor.mcc, json::optional_string(m, "mcc"));
  ISSUERD_ASSIGN(acceptor.country, json::optional_string(m, "country"));
  if (acceptor.name && acceptor.name->size() > 100) return invalid("invalid_field", "merchant.name is too long", "merchant.name");
  if (acceptor.mcc && !digits(*acceptor.mcc, 4, 4)) return invalid("invalid_mcc", "merchant.mcc must be 4 digits", "merchant.mcc");
  if (acceptor.country && (acceptor.country->size() < 2 || acceptor.country->size() > 3)) {
    return invalid("invalid_country", "merchant.country must be an ISO 3166 code", "merchant.country");
  }
  return Status::success();
}

Result<engine::AuthorizeInput> parse_authorization(const bj::object& body) {
  engine::AuthorizeInput in;
  ISSUERD_TRY(parse_card(body, in));
  ISSUERD_ASSIGN(in.currency, json::required_string(body, "currency"));
  auto currency = find_currency(in.currency);
  if (!currency) return invalid("unknown_currency", "currency must be a supported ISO 4217 code", "currency");
  ISSUERD_ASSIGN(std::string amount, json::required_amount_text(body, "amount"));
  ISSUERD_ASSIGN(in.amount_minor, parse_amount_minor(amount, *currency, AmountSign::positive));
  ISSUERD_ASSIGN(auto type, json::optional_string(body, "transaction_type"));
  auto parsed_type = domain::parse_transaction_type(type.value_or("PURCHASE"));
  if (!parsed_type) {
    return invalid("invalid_transaction_type", "transaction_type must be PURCHASE or ATM_CASH_WITHDRAWAL",
                   "transaction_type");
  }
  in.type = *parsed_type;
  ISSUERD_ASSIGN(auto present, json::optional_bool(body, "card_present"));
  in.card_present = present.value_or(false);
  ISSUERD_TRY(parse_acceptor(body, in.acceptor));
  return in;
}

// ---- the handlers ----

// Answers with the JSON text of the result.
using Operation = std::function<Result<std::string>(storage::Store&, const Caller&, std::int64_t now_ms)>;

WriteOutcome answer(Result<std::string> done, int success_status) {
  if (!done.ok()) return {problem_response(done.error()), false};
  return {json_text_response(success_status, std::move(done).value()), true};
}

// Authenticates and requires an Idempotency-Key: the write's scope, key and request hash,
// or the error to answer with.
Result<IdempotentWrite> keyed_write(Services& services, const http::Request& request, std::string route,
                                    const bj::object& body, Caller& caller) {
  ISSUERD_ASSIGN(caller, authenticate(services, request));
  const std::string key(request.header("idempotency-key").value_or(""));
  if (key.empty() || key.size() > 255) {
    return invalid("missing_idempotency_key", "send an Idempotency-Key header (1 to 255 characters)", "Idempotency-Key");
  }
  IdempotentWrite write;
  write.scope = caller.idempotency_scope;
  write.route = std::move(route);
  write.key = key;
  write.request_hash = request_hash(request.path, body);
  write.render_error = problem_response;
  return write;
}

// Runs `operation` once per Idempotency-Key.
void run_write(Services& services, const http::Request& request, std::string route, const bj::object& body,
               int success_status, Operation operation, http::Responder respond) {
  Caller caller;
  auto write = keyed_write(services, request, std::move(route), body, caller);
  if (!write.ok()) return respond(problem_response(write.error()));
  write->apply = [&services, caller, operation = std::move(operation), success_status](storage::Store& store) {
    return answer(operation(store, caller, services.clock.now_ms()), success_status);
  };
  submit_idempotent_write(services, std::move(write).value(), std::move(respond));
}

// The authorization keeps its Idempotency-Key (storage::keys_kept_on_authorizations) and a
// replay rebuilds its first answer from it. Hot: it runs on the writer's cached rows.
void create_authorization(Services& services, const http::Request& request, http::Responder respond) {
  auto body = json::parse_object(request.body);
  if (!body.ok()) return respond(problem_response(body.error()));
  auto input = parse_authorization(*body);
  if (!input.ok()) return respond(problem_response(input.error()));
  Caller caller;
  auto write = keyed_write(services, request, std::string(storage::authorization_key_route), *body, caller);
  if (!write.ok()) return respond(problem_response(write.error()));
  auto approved = std::make_shared<bool>(false);
  write->hot = true;
  write->apply_keeping_key = [&services, caller, input = *input, approved](
                                 storage::Store& store, const storage::IdempotencyStamp& stamp) mutable {
    input.merchant_scope = caller.merchant_scope;
    input.now_ms = services.clock.now_ms();
    input.idempotency = stamp;
    auto outcome = engine::authorize(store, services.keys, input);
    if (!outcome.ok()) return answer(outcome.take_error(), 201);
    *approved = outcome->authorization.status == "APPROVED";
    // The answer's text is made on the I/O thread: the writer hands over the outcome.
    WriteOutcome written{json_text_response(201, ""), true, outcome->authorization.authorization_id};
    written.response.body_maker = [kept = std::move(outcome).value()] { return authorization_json(kept); };
    return written;
  };
  write->rebuild_response = [](storage::Store& store, const std::string& authorization_id) -> Result<http::Response> {
    ISSUERD_ASSIGN(auto outcome, engine::first_answer(store, authorization_id));
    return json_text_response(201, authorization_json(outcome));
  };
  write->after_commit = [&services, approved] {
    services.metrics.record_authorization(*approved ? "approved" : "declined");
  };
  submit_idempotent_write(services, std::move(write).value(), std::move(respond));
}

// capture / reverse: an optional amount in the transaction's currency.
void change_authorization(Services& services, const http::Request& request, const http::PathParams& params,
                          const std::string& action, http::Responder respond) {
  auto body = json::parse_object(request.body.empty() ? std::string_view("{}") : std::string_view(request.body));
  if (!body.ok()) return respond(problem_response(body.error()));
  std::optional<std::string> amount;
  if (const bj::value* value = body->if_contains("amount"); value != nullptr && !value->is_null()) {
    auto text = json::amount_text(*value, "amount");
    if (!text.ok()) return respond(problem_response(text.error()));
    amount = *text;
  }
  run_write(services, request, "/sim/v1/authorizations/{id}/" + action, *body, 200,
            [id = params.get("id"), action, amount](storage::Store& store, const Caller& caller, std::int64_t now_ms)
                -> Result<std::string> {
              Result<engine::AuthorizationOutcome> outcome =
                  action == "capture"   ? engine::capture(store, caller.merchant_scope, id, amount, now_ms)
                  : action == "reverse" ? engine::reverse(store, caller.merchant_scope, id, amount, now_ms)
                                        : engine::expire(store, caller.merchant_scope, id, now_ms);
              if (!outcome.ok()) return outcome.take_error();
              return authorization_json(*outcome);
            },
            std::move(respond));
}

void create_refund(Services& services, const http::Request& request, http::Responder respond) {
  auto body = json::parse_object(request.body);
  if (!body.ok()) return respond(problem_response(body.error()));
  engine::RefundInput in;
  auto authorization_id = json::optional_string(*body, "authorization_id");
  auto card_id = json::optional_string(*body, "card_id");
  auto currency = json::optional_string(*body, "currency");
  auto amount = json::required_amount_text(*body, "amount");
  for (const Status& status : {authorization_id.ok() ? Status() : Status(authorization_id.error()),
                               card_id.ok() ? Status() : Status(card_id.error()),
                               currency.ok() ? Status() : Status(currency.error()),
                               amount.ok() ? Status() : Status(amount.error())}) {
    if (!status.ok()) return respond(problem_response(status.error()));
  }
  if (authorization_id->has_value() == card_id->has_value()) {
    return respond(problem_response(invalid("missing_field", "send authorization_id or card_id", "authorization_id")));
  }
  in.authorization_id = *authorization_id;
  in.card_id = *card_id;
  in.currency = *currency;
  in.amount_text = *amount;
  run_write(services, request, "/sim/v1/refunds", *body, 201,
            [in](storage::Store& store, const Caller& caller, std::int64_t now_ms) mutable -> Result<std::string> {
              in.merchant_scope = caller.merchant_scope;
              in.now_ms = now_ms;
              // The admin refunds to any card: find its merchant first.
              if (!in.merchant_scope && in.card_id) {
                auto rows = store.connection().query("SELECT merchant_id FROM cards WHERE card_id = ?",
                                                     std::vector<storage::SqlValue>{*in.card_id});
                if (!rows.ok()) return rows.take_error();
                if (!rows->empty()) in.merchant_scope = (*rows)[0].text(0);
              }
              ISSUERD_ASSIGN(engine::RefundOutcome refund, engine::refund(store, in));
              return json::ObjectText()
                  .add_text("refund_id", refund.refund_id)
                  .add_text("card_id", refund.card_id)
                  .add_optional_text("authorization_id", refund.authorization_id)
                  .add_text("amount", amount_text(refund.amount_minor, refund.currency))
                  .add_text("currency", refund.currency)
                  .add_text("available_after", amount_text(refund.available_after_minor, refund.currency))
                  .finish();
            },
            std::move(respond));
}

void get_authorization(Services& services, const http::Request& request, const http::PathParams& params,
                       http::Responder respond) {
  auto caller = authenticate(services, request);
  if (!caller.ok()) return respond(problem_response(caller.error()));
  auto found = services.readers.with_store([&](storage::Store& store) -> Result<std::string> {
    ISSUERD_ASSIGN(auto a, engine::find_authorization(store, caller->merchant_scope, params.get("id")));
    std::optional<std::int64_t> available;
    if (!a.card_id.empty()) {
      const auto kind = domain::parse_account_kind(a.funding_kind);
      ISSUERD_ASSIGN(auto account, store.find_account(*kind, a.funding_owner_id, a.currency));
      if (account) available = account->available_minor();
    }
    return authorization_json({a, available});
  });
  respond(found.ok() ? json_text_response(200, std::move(found).value()) : problem_response(found.error()));
}

}  // namespace

void register_routes(http::Router& router, Services& services) {
  router.add("POST", std::string(storage::authorization_key_route),
             [&services](const http::Request& request, const http::PathParams&, http::Responder respond) {
               create_authorization(services, request, std::move(respond));
             });
  for (const char* action : {"capture", "reverse", "expire"}) {
    router.add("POST", std::string("/sim/v1/authorizations/{id}/") + action,
               [&services, action = std::string(action)](const http::Request& request, const http::PathParams& params,
                                                         http::Responder respond) {
                 change_authorization(services, request, params, action, std::move(respond));
               });
  }
  router.add("GET", "/sim/v1/authorizations/{id}",
             [&services](const http::Request& request, const http::PathParams& params, http::Responder respond) {
               get_authorization(services, request, params, std::move(respond));
             });
  router.add("POST", "/sim/v1/refunds",
             [&services](const http::Request& request, const http::PathParams&, http::Responder respond) {
               create_refund(services, request, std::move(respond));
             });
}

}  // namespace issuerd::api::sim
