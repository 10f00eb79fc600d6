#include "api/musepay/card_account.h"

#include <algorithm>
#include <array>
#include <limits>
#include <span>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/musepay/card_view.h"
#include "api/musepay/envelope.h"
#include "api/musepay/fields.h"
#include "api/musepay/musepay_route.h"
#include "common/clock.h"
#include "common/currency.h"
#include "common/ids.h"
#include "common/money.h"
#include "domain/cards.h"
#include "engine/transfers.h"
#include "jobs/outbox.h"

namespace issuerd::api::musepay {

namespace bj = boost::json;

namespace {

constexpr std::int64_t page_size_default = 50;
constexpr std::int64_t page_size_max = 1000;
// Far beyond any real history; it keeps (page_number - 1) * page_size well inside int64.
constexpr std::int64_t page_number_max = 10'000'000;

constexpr std::array<std::string_view, 5> tx_statuses{"INIT", "PENDING", "POSTED", "REJECT", "CANCELED"};
constexpr std::array<std::string_view, 9> tx_types{"CHARGE", "REFUND",   "TOP_UP", "REPAY",    "CASHBACK",
                                                   "INTEREST", "FEE",    "OTHER",  "TO_WALLET"};

Error invalid(std::string reason, std::string message, std::string field = {}) {
  return make_error(ErrorKind::invalid_argument, std::move(reason), std::move(message), std::move(field));
}

// ---- top-up ----

struct TopUpRequest {
  std::string merchant_id;
  std::string request_id;
  std::string card_id;
  std::string user_id;
  std::string currency;
  std::string amount_text;  // parsed on the writer, once the card's currency is known
};

Result<TopUpRequest> parse_top_up(const Call& call) {
  TopUpRequest request;
  request.merchant_id = call.merchant.merchant_id;
  ISSUERD_ASSIGN(request.request_id, required_text(call.body, "request_id"));
  ISSUERD_ASSIGN(request.card_id, required_text(call.body, "card_id"));
  ISSUERD_ASSIGN(request.user_id, required_text(call.body, "user_id"));
  ISSUERD_ASSIGN(request.currency, required_text(call.body, "currency", 8));
  ISSUERD_ASSIGN(request.amount_text, json::required_amount_text(call.body, "amount"));
  return request;
}

// The amount in the card's minor units, once the card may take this top-up.
Result<std::int64_t> check_top_up(const TopUpRequest& request, const storage::CardRecord& card) {
  if (card.card_status == domain::card_canceled) {
    return make_error(ErrorKind::failed_precondition, "invalid_card_status", "a canceled card cannot be topped up");
  }
  if (request.currency != card.currency) {
    return make_error(ErrorKind::invalid_argument, reason_currency_not_support,
                      "currency must be the card's currency (" + card.currency + ")", "currency");
  }
  ISSUERD_ASSIGN(std::int64_t amount_minor,
                 parse_amount_minor(request.amount_text, *find_currency(card.currency), AmountSign::positive, "amount"));
  if (card.funding_kind == "merchant_main") {
    return invalid("funding_kind_not_supported", "cards that spend the main account take no top-ups");
  }
  return amount_minor;
}

// A standard card's top-up: money from the merchant's main account to the card's balance.
Result<std::optional<std::string>> move_to_card(storage::Store& store, const TopUpRequest& request,
                                                const storage::CardRecord& card, std::int64_t amount_minor,
                                                const std::string& order_no, std::int64_t now_ms) {
  auto posted = engine::post_transfer(
      store, {domain::AccountKind::merchant_main, request.merchant_id, card.currency},
      {domain::AccountKind::card, card.card_id, card.currency}, amount_minor, "top_up", order_no, now_ms);
  if (!posted.ok()) {
    const Error& error = posted.error();
    if (error.reason != "insufficient_balance") return posted.take_error();
    return make_error(error.kind, reason_insufficient_balance, "the merchant's main account has too little for this top-up");
  }
  return std::optional<std::string>(posted->transfer.transfer_id);
}

// A shared-quota card's "top-up" (the seed's Top-up API): it raises the card's spending
// limit and moves no money; the quota holds the money.
Status raise_card_limit(storage::Store& store, storage::CardRecord card, std::int64_t amount_minor, std::int64_t now_ms) {
  std::int64_t raised = 0;
  if (add_overflows(card.cap_limit_minor.value_or(0), amount_minor, &raised)) {
    return invalid("amount_out_of_range", "the card limit would overflow", "amount");
  }
  card.cap_limit_minor = raised;
  card.updated_at_ms = now_ms;
  return store.cards().update_card(card);
}

// The transfer (or limit raise), the order and the card transaction of one top-up; the
// caller's savepoint undoes all of them if any fails.
Result<storage::CardOrderRecord> record_top_up(storage::Store& store, const TopUpRequest& request,
                                               const storage::CardRecord& card, std::int64_t amount_minor,
                                               std::int64_t now_ms) {
  storage::CardOrderRecord order{next_id(), request.merchant_id, card.card_id, request.request_id, "TOP_UP",
                                 amount_minor, 0, card.currency, "SUCCESS", std::nullopt, now_ms};
  if (card.funding_kind == "budget_quota") {
    ISSUERD_TRY(raise_card_limit(store, card, amount_minor, now_ms));
  } else {
    ISSUERD_ASSIGN(order.transfer_id, move_to_card(store, request, card, amount_minor, order.order_no, now_ms));
  }
  ISSUERD_TRY(store.cards().insert_order(order));
  ISSUERD_TRY(store.cards().insert_transaction(
      storage::top_up_transaction(next_id(), card, amount_minor, true, order.order_no, now_ms)));
  return order;
}

bj::object order_json(const storage::CardOrderRecord& order) {
  const Currency currency = *find_currency(order.currency);
  return bj::object{{"amount", format_amount(order.amount_minor, currency)},
                    {"currency", order.currency},
                    {"fee", format_amount(order.fee_minor, currency)},
                    {"order_no", order.order_no},
                    {"request_id", order.request_id},
                    {"status", order.status}};
}

Result<bj::object> apply_top_up(Services& services, storage::Store& store, const TopUpRequest& request) {
  ISSUERD_ASSIGN(auto card, find_users_card(store, request.merchant_id, request.user_id, request.card_id));
  ISSUERD_ASSIGN(std::int64_t amount_minor, check_top_up(request, card));
  ISSUERD_ASSIGN(auto order, record_top_up(store, request, card, amount_minor, services.clock.now_ms()));
  bj::object data = order_json(order);
  bj::object event = data;
  event["card_id"] = card.card_id;
  event["user_id"] = card.user_id;
  // The outbox ages events on the wall clock, never the (possibly frozen) test clock.
  ISSUERD_TRY(jobs::enqueue_callback(store, request.merchant_id, "CARD_TOP_UP", event, wall_clock_ms()));
  return data;
}

void top_up(Services& services, Call call, http::Responder respond) {
  auto request = parse_top_up(call);
  if (!request.ok()) return respond(error_response(request.error()));
  const std::string request_id = request->request_id;
  submit(services, call, "/v1/cardaccount/topup", request_id,
         [&services, request = std::move(request).value()](storage::Store& store) -> WriteOutcome {
           auto data = apply_top_up(services, store, request);
           if (!data.ok()) return {error_response(data.error()), false};
           return {ok(*data), true};
         },
         std::move(respond));
}

// ---- transactions ----

struct TransactionQuery {
  storage::CardTransactionFilter filter;
  std::string user_id;
  std::int64_t page_number = 1;
  std::int64_t page_size = page_size_default;
};

bool is_blank(const bj::object& body, std::string_view field) {
  const bj::value* value = body.if_contains(field);
  return value == nullptr || value->is_null() || (value->is_string() && value->get_string().empty());
}

// An optional filter text; blank is absent ("").
Result<std::string> optional_text(const bj::object& body, std::string_view field) {
  if (is_blank(body, field)) return std::string();
  return required_text(body, field);
}

Result<std::string> optional_enum(const bj::object& body, std::string_view field,
                                  std::span<const std::string_view> allowed) {
  ISSUERD_ASSIGN(std::string value, optional_text(body, field));
  if (value.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return value;
  std::string names;
  for (std::string_view name : allowed) names += (names.empty() ? "" : ", ") + std::string(name);
  return invalid("invalid_field", std::string(field) + " must be one of " + names, std::string(field));
}

// An optional integer within [min, max]; blank is `fallback`.
Result<std::int64_t> optional_bounded(const bj::object& body, std::string_view field, std::int64_t fallback,
                                      std::int64_t min, std::int64_t max) {
  if (is_blank(body, field)) return fallback;
  ISSUERD_ASSIGN(std::int64_t value, json::required_integer(body, field));
  if (value < min || value > max) {
    return invalid("out_of_range",
                   std::string(field) + " must be from " + std::to_string(min) + " to " + std::to_string(max),
                   std::string(field));
  }
  return value;
}

Result<TransactionQuery> parse_transactions(const Call& call) {
  const bj::object& body = call.body;
  TransactionQuery query;
  storage::CardTransactionFilter& filter = query.filter;
  filter.merchant_id = call.merchant.merchant_id;
  ISSUERD_ASSIGN(filter.card_id, required_text(body, "card_id"));
  ISSUERD_ASSIGN(query.user_id, required_text(body, "user_id"));
  ISSUERD_ASSIGN(filter.order_no, optional_text(body, "order_no"));
  ISSUERD_ASSIGN(filter.detail_id, optional_text(body, "detail_id"));
  ISSUERD_ASSIGN(filter.tx_status, optional_enum(body, "tx_status", tx_statuses));
  ISSUERD_ASSIGN(filter.tx_type, optional_enum(body, "tx_type", tx_types));
  constexpr std::int64_t time_max = std::numeric_limits<std::int64_t>::max();
  ISSUERD_ASSIGN(filter.created_from_ms, optional_bounded(body, "date_range_from", 0, 0, time_max));
  ISSUERD_ASSIGN(filter.created_to_ms, optional_bounded(body, "date_range_to", 0, 0, time_max));
  if (filter.created_to_ms != 0 && filter.created_from_ms > filter.created_to_ms) {
    return invalid("invalid_date_range", "date_range_from must not be after date_range_to", "date_range_from");
  }
  ISSUERD_ASSIGN(query.page_size, optional_bounded(body, "page_size", page_size_default, 1, page_size_max));
  ISSUERD_ASSIGN(query.page_number, optional_bounded(body, "page_number", 1, 1, page_number_max));
  return query;
}

template <typename T>
bj::value or_null(const std::optional<T>& value) {
  return value ? bj::value(*value) : bj::value(nullptr);
}

bj::object transaction_json(const storage::CardTransactionRecord& t) {
  const Currency currency = *find_currency(t.currency);
  bj::value auth_amount = nullptr;
  if (t.auth_amount_minor) {
    const std::optional<Currency> auth_currency = t.auth_currency ? find_currency(*t.auth_currency) : std::nullopt;
    auth_amount = format_amount(*t.auth_amount_minor, auth_currency.value_or(currency));
  }
  return bj::object{
      {"detailId", t.detail_id},
      {"txAmount", format_amount(t.amount_minor, currency)},
      {"txCurrency", t.currency},
      {"txStatus", t.tx_status},
      {"txType", t.tx_type},
      {"txCreatedAt", t.created_at_ms},
      {"txPostedAt", or_null(t.posted_at_ms)},
      {"orderNo", or_null(t.order_no)},
      {"merchant", bj::object{{"name", or_null(t.merchant_name)},
                              {"mcc", or_null(t.merchant_mcc)},
                              {"country", or_null(t.merchant_country)},
                              {"category", or_null(t.merchant_category)}}},
      {"authorization", bj::object{{"amount", std::move(auth_amount)}, {"currency", or_null(t.auth_currency)}}}};
}

Result<bj::value> read_transactions(storage::Store& store, const TransactionQuery& query) {
  const storage::CardTransactionFilter& filter = query.filter;
  // Only to scope the listing to this user's card: a stranger's card is "not found".
  ISSUERD_TRY(find_users_card(store, filter.merchant_id, query.user_id, filter.card_id));
  ISSUERD_ASSIGN(std::int64_t total, store.cards().count_transactions(filter));
  ISSUERD_ASSIGN(auto rows, store.cards().list_transactions(filter, (query.page_number - 1) * query.page_size,
                                                            query.page_size));
  bj::array transactions;
  for (const auto& row : rows) transactions.push_back(transaction_json(row));
  return bj::value(bj::object{{"page_number", query.page_number},
                              {"page_size", query.page_size},
                              {"total_count", total},
                              {"transactions", std::move(transactions)}});
}

void transactions(Services& services, Call call, http::Responder respond) {
  auto query = parse_transactions(call);
  if (!query.ok()) return respond(error_response(query.error()));
  submit_read(services, call, "/v1/cardaccount/transactions",
              [query = std::move(query).value()](storage::Store& store) { return read_transactions(store, query); },
              std::move(respond));
}

}  // namespace

void register_card_account_routes(http::Router& router, Services& services) {
  router.add("POST", "/v1/cardaccount/topup", route(services, top_up));
  router.add("POST", "/v1/cardaccount/transactions", route(services, transactions));
}

}  // namespace issuerd::api::musepay
