#include "api/hashdt/limits.h"

#include <algorithm>
#include <optional>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/hashdt/envelope.h"
#include "api/hashdt/hashdt_api.h"
#include "common/assert.h"
#include "common/clock.h"
#include "common/currency.h"
#include "common/json.h"
#include "common/money.h"
#include "domain/spend_controls.h"

namespace issuerd::api::hashdt {

namespace bj = boost::json;
using domain::Period;
using domain::TransactionType;

namespace {

constexpr const char* limit_pattern = "/issuing/api/{version}/card/limit";

enum class Verb { create, update, remove };

struct LimitRequest {
  Period period = Period::day;
  TransactionType type = TransactionType::purchase;
  std::int64_t amount_limit_units = 0;       // create and update: whole units, > 0
  std::optional<std::string> currency_code;  // required on create
};

struct AtmCap {
  std::string_view currency;
  Period period;
  std::int64_t max_units;
};

// VENDOR-NOTES.md, HashDT: the most a card may withdraw at ATMs per day and per month.
constexpr AtmCap atm_caps[] = {{"USD", Period::day, 3750},
                               {"USD", Period::month, 7500},
                               {"SGD", Period::day, 5000},
                               {"SGD", Period::month, 10000}};

// ---- the body ----

Result<Period> read_period(const bj::object& body) {
  ISSUERD_ASSIGN(std::string text, json::required_string(body, "amount_limit_period"));
  auto period = domain::parse_period(text);
  if (!period) {
    return invalid("invalid_period", "amount_limit_period must be DAY, WEEK, MONTH, YEAR, LIFETIME or TRANSACTION",
                   "amount_limit_period");
  }
  return *period;
}

Result<TransactionType> read_type(const bj::object& body) {
  ISSUERD_ASSIGN(auto text, json::optional_string(body, "transaction_type"));
  auto type = domain::parse_transaction_type(text.value_or("PURCHASE"));
  if (!type) {
    return invalid("invalid_transaction_type", "transaction_type must be PURCHASE or ATM_CASH_WITHDRAWAL",
                   "transaction_type");
  }
  return *type;
}

// A JSON integer only: the seed types it so, and "100" or 100.5 would hide a client's bug.
Result<std::int64_t> read_amount_limit(const bj::object& body) {
  const bj::value* value = body.if_contains("amount_limit");
  if (value == nullptr || value->is_null()) return invalid("missing_field", "amount_limit is required", "amount_limit");
  if (value->is_uint64()) return invalid("amount_out_of_range", "amount_limit is too large", "amount_limit");
  if (!value->is_int64()) {
    return invalid("wrong_type", "amount_limit must be a positive integer (whole units of the currency)",
                   "amount_limit");
  }
  if (value->get_int64() <= 0) return invalid("amount_not_positive", "amount_limit must be greater than 0", "amount_limit");
  return value->get_int64();
}

Result<std::optional<std::string>> read_currency_code(const bj::object& body, bool required) {
  ISSUERD_ASSIGN(auto code, json::optional_string(body, "currency_code"));
  if (!code) {
    if (required) return invalid("missing_field", "currency_code is required", "currency_code");
    return code;
  }
  const bool letters = code->size() == 3 && std::all_of(code->begin(), code->end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (!letters) return invalid("invalid_currency", "currency_code must be 3 upper-case letters (ISO 4217)", "currency_code");
  if (!find_currency(*code)) {
    return invalid("unknown_currency", "currency_code " + *code + " is not an ISO 4217 currency issuerd supports",
                   "currency_code");
  }
  return code;
}

Result<LimitRequest> parse_limit(const bj::object& body, Verb verb) {
  LimitRequest limit;
  ISSUERD_ASSIGN(limit.period, read_period(body));
  ISSUERD_ASSIGN(limit.type, read_type(body));
  if (verb != Verb::remove) { ISSUERD_ASSIGN(limit.amount_limit_units, read_amount_limit(body)); }
  ISSUERD_ASSIGN(limit.currency_code, read_currency_code(body, verb == Verb::create));
  const bool atm = limit.type == TransactionType::atm_cash_withdrawal;
  if (atm && limit.period != Period::day && limit.period != Period::month) {
    return invalid("invalid_period", "ATM_CASH_WITHDRAWAL limits take only DAY or MONTH", "amount_limit_period");
  }
  return limit;
}

bj::object normalized(const LimitRequest& limit) {
  bj::object out{{"amount_limit_period", domain::period_name(limit.period)},
                 {"transaction_type", domain::transaction_type_name(limit.type)},
                 {"amount_limit", limit.amount_limit_units}};
  if (limit.currency_code) out["currency_code"] = *limit.currency_code;
  return out;
}

// ---- against the card ----

std::int64_t minor_per_unit(const Currency& currency) {
  std::int64_t unit = 1;
  for (int i = 0; i < currency.exponent; ++i) unit *= 10;
  return unit;
}

Status check_currency(const LimitRequest& limit, const storage::CardRecord& card) {
  if (!limit.currency_code || *limit.currency_code == card.currency) return Status::success();
  return invalid("currency_mismatch",
                 "currency_code must be the card's currency (" + card.currency + "); limits are kept in it",
                 "currency_code");
}

Status check_atm_cap(const LimitRequest& limit, const std::string& card_currency) {
  if (limit.type != TransactionType::atm_cash_withdrawal) return Status::success();
  for (const AtmCap& cap : atm_caps) {
    if (cap.currency == card_currency && cap.period == limit.period && limit.amount_limit_units > cap.max_units) {
      return invalid("atm_limit_above_cap",
                     std::string("an ATM_CASH_WITHDRAWAL ") + domain::period_name(limit.period) + " limit in " +
                         card_currency + " may be at most " + std::to_string(cap.max_units),
                     "amount_limit");
    }
  }
  return Status::success();
}

Result<std::int64_t> amount_minor(const LimitRequest& limit, const std::string& card_currency) {
  std::int64_t minor = 0;
  if (multiply_overflows(limit.amount_limit_units, minor_per_unit(*find_currency(card_currency)), &minor)) {
    return invalid("amount_out_of_range", "amount_limit is too large", "amount_limit");
  }
  return minor;
}

std::string pair_name(const LimitRequest& limit) {
  return std::string(domain::period_name(limit.period)) + " " + domain::transaction_type_name(limit.type) + " limit";
}

Status check_existence(const LimitRequest& limit, Verb verb, bool exists) {
  if (verb == Verb::create && exists) {
    return make_error(ErrorKind::conflict, "limit_exists",
                      "this card already has a " + pair_name(limit) + "; change it with PATCH", "amount_limit_period");
  }
  if (verb != Verb::create && !exists) {
    return make_error(ErrorKind::not_found, "limit_not_found", "this card has no " + pair_name(limit),
                      "amount_limit_period");
  }
  return Status::success();
}

// Applies one verb to the card's control; returns the seed's success message.
Result<std::string> change_control(storage::Store& store, const storage::CardRecord& card, const LimitRequest& limit,
                                   Verb verb, std::int64_t now_ms) {
  ISSUERD_TRY(check_currency(limit, card));
  std::int64_t minor = 0;
  if (verb != Verb::remove) {
    ISSUERD_TRY(check_atm_cap(limit, card.currency));
    ISSUERD_ASSIGN(minor, amount_minor(limit, card.currency));
  }
  const std::string type = domain::transaction_type_name(limit.type);
  const std::string period = domain::period_name(limit.period);
  ISSUERD_ASSIGN(auto existing, store.cards().find_control(card.card_id, type, period));
  ISSUERD_TRY(check_existence(limit, verb, existing.has_value()));
  if (verb == Verb::remove) {
    ISSUERD_TRY(store.cards().delete_control(card.card_id, type, period));
    return std::string("Card spend limit deleted successfully.");
  }
  storage::SpendControlRecord control =
      existing.value_or(storage::SpendControlRecord{card.card_id, type, period, 0, card.currency, true, now_ms, now_ms});
  control.amount_limit_minor = minor;
  control.currency = card.currency;
  control.updated_at_ms = now_ms;
  ISSUERD_TRY(store.cards().upsert_control(control));
  return std::string(verb == Verb::create ? "Card spend limit has been set successfully."
                                          : "Update card spend limit has been set successfully.");
}

void write_limit(Services& services, const Call& call, Verb verb, http::Responder respond) {
  auto limit = parse_limit(call.body, verb);
  if (!limit.ok()) return respond(error_response(limit.error()));
  submit_write(services, call, normalized(*limit),
               [&services, merchant_id = call.merchant.merchant_id, headers = card_headers(call), limit = *limit,
                verb](storage::Store& store) -> WriteOutcome {
                 auto card = find_named_card(store, merchant_id, headers);
                 if (!card.ok()) return {error_response(card.error()), false};
                 auto message = change_control(store, *card, limit, verb, services.clock.now_ms());
                 if (!message.ok()) return {error_response(message.error()), false};
                 return {success(*message), true};
               },
               std::move(respond));
}

// ---- listing ----

Result<bj::object> limit_json(storage::Store& store, const storage::SpendControlRecord& control, std::int64_t now_ms) {
  const auto currency = find_currency(control.currency);
  const auto period = domain::parse_period(control.period);
  ISSUERD_ASSERT(currency && period);  // written only by the dialects, which check both
  bj::object item{{"amount_limit", control.amount_limit_minor / minor_per_unit(*currency)},
                  {"active", control.active},
                  {"amount_limit_period", control.period},
                  {"transaction_type", control.transaction_type},
                  {"currency_code", control.currency},
                  {"amount_limit_decimal", format_amount(control.amount_limit_minor, *currency)},
                  {"used_amount", nullptr},
                  {"resets_at", nullptr}};
  if (*period == Period::transaction) return item;  // nothing accumulates
  const domain::Window window = domain::window_at(*period, now_ms);
  ISSUERD_ASSIGN(std::int64_t used, store.authorizations().counted_in_window(control.card_id, control.transaction_type,
                                                                            window.start_ms, window.end_ms));
  item["used_amount"] = format_amount(used, *currency);
  if (*period != Period::lifetime) item["resets_at"] = format_rfc3339_ms(window.end_ms);
  return item;
}

// PURCHASE before ATM, then DAY, WEEK, ... TRANSACTION: a stable order for clients.
std::pair<int, int> display_order(const storage::SpendControlRecord& control) {
  return {static_cast<int>(domain::parse_transaction_type(control.transaction_type).value_or(TransactionType::purchase)),
          static_cast<int>(domain::parse_period(control.period).value_or(Period::day))};
}

Result<bj::array> list_limits(storage::Store& store, const std::string& merchant_id, const CardHeaders& headers,
                              std::int64_t now_ms) {
  ISSUERD_ASSIGN(storage::CardRecord card, find_named_card(store, merchant_id, headers));
  ISSUERD_ASSIGN(auto controls, store.cards().list_controls(card.card_id));
  std::stable_sort(controls.begin(), controls.end(),
                   [](const auto& a, const auto& b) { return display_order(a) < display_order(b); });
  bj::array out;
  for (const storage::SpendControlRecord& control : controls) {
    ISSUERD_ASSIGN(bj::object item, limit_json(store, control, now_ms));
    out.push_back(std::move(item));
  }
  return out;
}

void get_limits(Services& services, Call call, http::Responder respond) {
  const CardHeaders headers = card_headers(call);
  const std::int64_t now_ms = services.clock.now_ms();
  auto limits = services.readers.with_store(
      [&](storage::Store& store) { return list_limits(store, call.merchant.merchant_id, headers, now_ms); });
  if (!limits.ok()) return respond(error_response(limits.error()));
  respond(success("Card spending limit fetched successfully.", std::move(limits).value()));
}

CallHandler writer_for(Verb verb) {
  return [verb](Services& services, Call call, http::Responder respond) {
    write_limit(services, call, verb, std::move(respond));
  };
}

}  // namespace

void register_limit_routes(http::Router& router, Services& services) {
  // The seed requires all of them on every verb, x-request-id included (also on GET).
  const std::vector<std::string> headers{"x-product-id", "x-cardholder-id", "x-wallet-id", "x-card-id", "x-request-id"};
  auto spec = [&](const std::string& method, bool takes_body) {
    return RouteSpec{method + " " + limit_pattern, headers, takes_body};
  };
  router.add("POST", limit_pattern, route(services, spec("POST", true), writer_for(Verb::create)));
  router.add("GET", limit_pattern, route(services, spec("GET", false), get_limits));
  router.add("PATCH", limit_pattern, route(services, spec("PATCH", true), writer_for(Verb::update)));
  router.add("DELETE", limit_pattern, route(services, spec("DELETE", true), writer_for(Verb::remove)));
}

}  // namespace issuerd::api::hashdt
