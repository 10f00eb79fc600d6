#include "api/musepay/quotas.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/musepay/card_view.h"
#include "api/musepay/cards.h"
#include "api/musepay/envelope.h"
#include "api/musepay/fields.h"
#include "api/musepay/musepay_route.h"
#include "common/currency.h"
#include "common/ids.h"
#include "common/money.h"
#include "engine/quotas.h"

namespace issuerd::api::musepay {

namespace bj = boost::json;

namespace {

constexpr std::int64_t list_size_default = 10;
constexpr std::int64_t list_size_max = 1000;

Error invalid(std::string reason, std::string message, std::string field) {
  return make_error(ErrorKind::invalid_argument, std::move(reason), std::move(message), std::move(field));
}

Error quota_not_found() {
  return make_error(ErrorKind::not_found, "quota_not_found", "no budget quota with this share_quota_id",
                    "share_quota_id");
}

std::string money(std::int64_t minor, const std::string& currency) { return format_amount(minor, *find_currency(currency)); }

Result<storage::BudgetQuotaRecord> find_quota(storage::Store& store, const std::string& merchant_id,
                                              const std::string& share_quota_id) {
  ISSUERD_ASSIGN(auto quota, store.quotas().find(merchant_id, share_quota_id));
  if (!quota) return quota_not_found();
  return std::move(*quota);
}

bj::object quota_json(const engine::QuotaView& v) {
  const std::string& c = v.quota.currency;
  return bj::object{{"share_quota_id", v.quota.share_quota_id},
                    {"share_quota_name", v.quota.name},
                    {"card_product_id", v.quota.card_product_id},
                    {"card_level", v.quota.card_level},
                    {"share_quota_status", v.quota.status},
                    {"share_quota_currency", c},
                    {"available_quota_balance", money(v.available_minor, c)},
                    {"outgoing_quota_balance", money(v.held_minor, c)},
                    {"total_usage_quota_balance", money(v.used_minor, c)},
                    {"available_card_tx_quota", money(v.cards.cap_remaining_minor, c)},
                    {"total_card_tx_quota", money(v.cards.cap_total_minor, c)},
                    {"total_issue_card_count", v.cards.card_count},
                    {"owed_fee", money(v.quota.owed_minor, c)},
                    {"remark", v.quota.remark ? bj::value(*v.quota.remark) : bj::value(nullptr)}};
}

// Paging as the seed has it: `page` (default 1) and `limit` (1 to 1000, default 10).
Result<json::Page> read_paging(const bj::object& body) {
  ISSUERD_ASSIGN(auto page, json::optional_integer(body, "page"));
  ISSUERD_ASSIGN(auto limit, json::optional_integer(body, "limit"));
  const json::Page paging{page.value_or(1), limit.value_or(list_size_default)};
  if (paging.number < 1 || paging.number > 10'000'000) return invalid("invalid_page", "page must be 1 or more", "page");
  if (paging.size < 1 || paging.size > list_size_max) return invalid("invalid_limit", "limit must be 1 to 1000", "limit");
  return paging;
}

// ---- create ----

void create_quota(Services& services, Call call, http::Responder respond) {
  storage::BudgetQuotaRecord q;
  q.merchant_id = call.merchant.merchant_id;
  auto parsed = [&]() -> Status {
    ISSUERD_ASSIGN(q.request_id, required_text(call.body, "request_id"));
    ISSUERD_ASSIGN(q.card_product_id, required_text(call.body, "card_product_id"));
    const bj::value* level = call.body.if_contains("card_level");
    if (level != nullptr && level->is_int64()) {
      q.card_level = std::to_string(level->get_int64());
    } else {
      ISSUERD_ASSIGN(q.card_level, required_text(call.body, "card_level", 32));
    }
    ISSUERD_ASSIGN(q.name, required_text(call.body, "share_quota_name", 100));
    ISSUERD_ASSIGN(q.remark, json::optional_string(call.body, "remark"));
    return Status::success();
  }();
  if (!parsed.ok()) return respond(error_response(parsed.error()));
  submit(services, call, "/v1/card/share-quota/quota/create", q.request_id,
         [&services, q](storage::Store& store) mutable -> WriteOutcome {
           auto product = store.find_card_product(q.card_product_id);
           if (!product.ok()) return {error_response(product.error()), false};
           const auto& allowed = *product ? (*product)->merchant_ids : std::vector<std::string>{};
           if (!*product || (!allowed.empty() && std::find(allowed.begin(), allowed.end(), q.merchant_id) == allowed.end())) {
             return {error_response(make_error(ErrorKind::not_found, "card_product_not_found", "no such card product",
                                               "card_product_id")), false};
           }
           if ((*product)->card_level != q.card_level) {
             return {error_response(invalid("card_level_mismatch", "card_level must be the product's level",
                                            "card_level")), false};
           }
           q.share_quota_id = next_id();
           q.currency = (*product)->currency;
           q.status = "NORMAL";
           q.created_at_ms = services.clock.now_ms();
           Status saved = store.quotas().insert(q);
           if (!saved.ok()) return {error_response(saved.error()), false};
           return {ok(bj::object{{"share_quota_id", q.share_quota_id}, {"share_quota_status", q.status}}), true};
         },
         std::move(respond));
}

// ---- adjustment ----

void adjust(Services& services, Call call, http::Responder respond) {
  auto quota_id = required_text(call.body, "share_quota_id");
  auto request_id = required_text(call.body, "request_id");
  auto amount = json::required_amount_text(call.body, "amount");
  auto remark = json::optional_string(call.body, "remark");
  for (const Status& s : {quota_id.ok() ? Status() : Status(quota_id.error()),
                          request_id.ok() ? Status() : Status(request_id.error()),
                          amount.ok() ? Status() : Status(amount.error()), remark.ok() ? Status() : Status(remark.error())}) {
    if (!s.ok()) return respond(error_response(s.error()));
  }
  submit(services, call, "/v1/card/share-quota/quota/tx/adjustment", *request_id,
         [&services, merchant_id = call.merchant.merchant_id, quota_id = *quota_id, request_id = *request_id,
          amount = *amount, remark = *remark](storage::Store& store) -> WriteOutcome {
           auto done = [&]() -> Result<bj::object> {
             ISSUERD_ASSIGN(auto quota, find_quota(store, merchant_id, quota_id));
             ISSUERD_ASSIGN(std::int64_t minor, parse_amount_minor(amount, *find_currency(quota.currency), AmountSign::any));
             if (minor == 0) return invalid("amount_not_positive", "amount must not be zero", "amount");
             ISSUERD_ASSIGN(auto order, engine::adjust_quota(store, quota, minor, request_id, remark, services.clock.now_ms()));
             return bj::object{{"status", order.status},
                               {"order_no", order.order_no},
                               {"amount", money(order.amount_minor, quota.currency)},
                               {"request_id", request_id},
                               {"transaction_time", order.transaction_time_ms}};
           }();
           if (!done.ok()) return {error_response(done.error()), false};
           return {ok(*done), true};
         },
         std::move(respond));
}

// ---- freeze and unfreeze ----

void set_status(Services& services, const Call& call, const std::string& route, const std::string& status,
                http::Responder respond) {
  auto quota_id = required_text(call.body, "share_quota_id");
  if (!quota_id.ok()) return respond(error_response(quota_id.error()));
  submit(services, call, route, "",
         [merchant_id = call.merchant.merchant_id, quota_id = *quota_id, status](storage::Store& store) -> WriteOutcome {
           auto quota = find_quota(store, merchant_id, quota_id);
           if (!quota.ok()) return {error_response(quota.error()), false};
           quota->status = status;
           Status saved = store.quotas().update(*quota);
           if (!saved.ok()) return {error_response(saved.error()), false};
           return {ok(bj::object{{"share_quota_id", quota->share_quota_id}, {"share_quota_status", status}}), true};
         },
         std::move(respond));
}

// ---- shared-quota cards ----

void apply_shared(Services& services, Call call, http::Responder respond) {
  auto application = parse_application(call);
  if (!application.ok()) return respond(error_response(application.error()));
  auto quota_id = required_text(call.body, "share_quota_id");
  if (!quota_id.ok()) return respond(error_response(quota_id.error()));
  application->share_quota_id = *quota_id;
  submit_application(services, call, "/v1/card/share-quota/apply", std::move(application).value(), std::move(respond));
}

// Sets a shared card's total limit (raising or lowering it); never below what it has used.
void set_card_limit(Services& services, Call call, http::Responder respond) {
  auto card_id = required_text(call.body, "card_id");
  auto user_id = required_text(call.body, "user_id");
  auto limit = json::required_amount_text(call.body, "card_limit");
  for (const Status& s : {card_id.ok() ? Status() : Status(card_id.error()),
                          user_id.ok() ? Status() : Status(user_id.error()),
                          limit.ok() ? Status() : Status(limit.error())}) {
    if (!s.ok()) return respond(error_response(s.error()));
  }
  submit(services, call, "/v1/card/share-quota/card/limit", "",
         [&services, merchant_id = call.merchant.merchant_id, card_id = *card_id, user_id = *user_id,
          limit = *limit](storage::Store& store) -> WriteOutcome {
           auto done = [&]() -> Result<bj::object> {
             ISSUERD_ASSIGN(auto card, find_users_card(store, merchant_id, user_id, card_id));
             if (card.funding_kind != "budget_quota") {
               return invalid("not_a_shared_card", "only a shared-quota card has a card limit", "card_id");
             }
             const Currency currency = *find_currency(card.currency);
             ISSUERD_ASSIGN(std::int64_t minor, parse_amount_minor(limit, currency, AmountSign::non_negative, "card_limit"));
             if (minor < card.cap_used_minor) {
               return invalid("below_used", "card_limit cannot be below what the card has used (" +
                                                format_amount(card.cap_used_minor, currency) + ")",
                              "card_limit");
             }
             card.cap_limit_minor = minor;
             card.updated_at_ms = services.clock.now_ms();
             ISSUERD_TRY(store.cards().update_card(card));
             return bj::object{{"card_id", card.card_id},
                               {"card_limit", format_amount(minor, currency)},
                               {"card_limit_used", format_amount(card.cap_used_minor, currency)}};
           }();
           if (!done.ok()) return {error_response(done.error()), false};
           return {ok(*done), true};
         },
         std::move(respond));
}

// ---- lists ----

void list_quotas(Services& services, Call call, http::Responder respond) {
  auto paging = read_paging(call.body);
  auto quota_id = json::optional_string(call.body, "share_quota_id");
  if (!paging.ok()) return respond(error_response(paging.error()));
  if (!quota_id.ok()) return respond(error_response(quota_id.error()));
  submit_read(services, call, "/v1/card/share-quota/quota/list",
              [&services, merchant_id = call.merchant.merchant_id, quota_id = quota_id->value_or(""),
               paging = *paging](storage::Store& store) -> Result<bj::value> {
                ISSUERD_ASSIGN(auto quotas, store.quotas().list(merchant_id, quota_id, paging.offset(), paging.size));
                ISSUERD_ASSIGN(std::int64_t total, store.quotas().count(merchant_id, quota_id));
                bj::array data;
                for (const auto& quota : quotas) {
                  ISSUERD_ASSIGN(auto view, engine::view_quota(store, quota, services.clock.now_ms()));
                  data.push_back(quota_json(view));
                }
                return bj::value(bj::object{{"total", total}, {"data", std::move(data)}});
              },
              std::move(respond));
}

Result<storage::QuotaOrderFilter> parse_order_filter(const Call& call) {
  storage::QuotaOrderFilter filter;
  filter.merchant_id = call.merchant.merchant_id;
  ISSUERD_ASSIGN(auto quota_id, json::optional_string(call.body, "share_quota_id"));
  ISSUERD_ASSIGN(auto request_id, json::optional_string(call.body, "request_id"));
  ISSUERD_ASSIGN(auto start, json::optional_integer(call.body, "start_time"));
  ISSUERD_ASSIGN(auto end, json::optional_integer(call.body, "end_time"));
  filter.share_quota_id = quota_id.value_or("");
  filter.request_id = request_id.value_or("");
  filter.from_ms = start.value_or(0);
  filter.to_ms = end.value_or(0);
  if (filter.from_ms < 0) return invalid("invalid_time", "start_time must be milliseconds since 1970", "start_time");
  if (filter.to_ms < 0) return invalid("invalid_time", "end_time must be milliseconds since 1970", "end_time");
  if (filter.to_ms != 0 && filter.from_ms > filter.to_ms) {
    return invalid("invalid_time", "start_time must not be after end_time", "start_time");
  }
  return filter;
}

void list_orders(Services& services, Call call, http::Responder respond) {
  auto paging = read_paging(call.body);
  auto filter = parse_order_filter(call);
  if (!paging.ok()) return respond(error_response(paging.error()));
  if (!filter.ok()) return respond(error_response(filter.error()));
  submit_read(services, call, "/v1/card/share-quota/quota/tx/list",
              [filter = *filter, paging = *paging](storage::Store& store) -> Result<bj::value> {
                ISSUERD_ASSIGN(auto orders, store.quotas().list_orders(filter, paging.offset(), paging.size));
                ISSUERD_ASSIGN(std::int64_t total, store.quotas().count_orders(filter));
                bj::array data;
                for (const auto& order : orders) {
                  ISSUERD_ASSIGN(auto quota, store.quotas().find(filter.merchant_id, order.share_quota_id));
                  const std::string currency = quota ? quota->currency : "USD";
                  data.push_back(bj::object{{"share_quota_id", order.share_quota_id},
                                            {"order_no", order.order_no},
                                            {"type", order.kind},
                                            {"status", order.status},
                                            {"request_id", order.request_id ? bj::value(*order.request_id) : bj::value(nullptr)},
                                            {"amount", money(order.amount_minor, currency)},
                                            {"remark", order.remark ? bj::value(*order.remark) : bj::value(nullptr)},
                                            {"transaction_time", order.transaction_time_ms}});
                }
                return bj::value(bj::object{{"total", total}, {"data", std::move(data)}});
              },
              std::move(respond));
}

}  // namespace

void register_quota_routes(http::Router& router, Services& services) {
  router.add("POST", "/v1/card/share-quota/quota/create", route(services, create_quota));
  router.add("POST", "/v1/card/share-quota/quota/tx/adjustment", route(services, adjust));
  router.add("POST", "/v1/card/share-quota/quota/frozen", route(services, [](Services& s, Call call, http::Responder r) {
               set_status(s, call, "/v1/card/share-quota/quota/frozen", "FROZEN", std::move(r));
             }));
  router.add("POST", "/v1/card/share-quota/quota/unfrozen", route(services, [](Services& s, Call call, http::Responder r) {
               set_status(s, call, "/v1/card/share-quota/quota/unfrozen", "NORMAL", std::move(r));
             }));
  router.add("POST", "/v1/card/share-quota/apply", route(services, apply_shared));
  router.add("POST", "/v1/card/share-quota/card/limit", route(services, set_card_limit));
  router.add("POST", "/v1/card/share-quota/quota/list", route(services, list_quotas));
  router.add("POST", "/v1/card/share-quota/quota/tx/list", route(services, list_orders));
}

}  // namespace issuerd::api::musepay
