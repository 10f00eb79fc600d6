#include "api/musepay/cards.h"

#include <boost/json/object.hpp>

#include "api/musepay/card_view.h"
#include "api/musepay/envelope.h"
#include "api/musepay/fields.h"
#include "common/currency.h"
#include "common/ids.h"
#include "common/money.h"
#include "domain/cards.h"
#include "jobs/card_application_job.h"
#include "jobs/job_runner.h"

namespace issuerd::api::musepay {

namespace bj = boost::json;
using domain::CardAction;

namespace {

Error invalid(std::string reason, std::string message, std::string field) {
  return make_error(ErrorKind::invalid_argument, std::move(reason), std::move(message), std::move(field));
}

// The synchronous checks of an application; the job checks again when it runs.
Status check_application(storage::Store& store, const storage::CardApplicationRecord& application) {
  ISSUERD_ASSIGN(auto holder, store.cards().find_holder(application.merchant_id, application.user_id));
  if (!holder) return make_error(ErrorKind::not_found, "user_not_found", "no card holder with this user_id", "user_id");
  if (holder->status != "ACTIVE" || holder->kyc_status != "PASSED") {
    return make_error(ErrorKind::failed_precondition, reason_user_status_invalid, "the card holder is not active");
  }
  ISSUERD_ASSIGN(auto product, store.find_card_product(application.card_product_id));
  const auto& allowed = product ? product->merchant_ids : std::vector<std::string>{};
  if (!product || (!allowed.empty() && std::find(allowed.begin(), allowed.end(), application.merchant_id) == allowed.end())) {
    return make_error(ErrorKind::not_found, "card_product_not_found", "no such card product", "card_product_id");
  }
  if (product->card_level != application.card_level) {
    return invalid("card_level_mismatch", "card_level must be the product's level (" + product->card_level + ")",
                   "card_level");
  }
  if (application.share_quota_id && application.kind == "apply") {
    ISSUERD_ASSIGN(auto quota, store.quotas().find(application.merchant_id, *application.share_quota_id));
    if (!quota) return make_error(ErrorKind::not_found, "quota_not_found", "no budget quota with this id", "share_quota_id");
    if (quota->status == "FROZEN") {
      return make_error(ErrorKind::failed_precondition, "quota_frozen", "the budget quota is frozen", "share_quota_id");
    }
    if (quota->card_product_id != application.card_product_id) {
      return invalid("product_mismatch", "card_product_id must be the budget quota's product", "card_product_id");
    }
  }
  return Status::success();
}

bj::object application_json(const storage::CardApplicationRecord& application) {
  bj::object out{{"apply_id", application.apply_id},
                 {"request_id", application.request_id},
                 {"user_id", application.user_id},
                 {"apply_status", application.apply_status}};
  out["card_id"] = application.card_id ? bj::value(*application.card_id) : bj::value(nullptr);
  if (application.refuse_reason) out["refuse_reason"] = *application.refuse_reason;
  return out;
}

}  // namespace

Result<storage::CardApplicationRecord> parse_application(const Call& call) {
  storage::CardApplicationRecord a;
  a.merchant_id = call.merchant.merchant_id;
  a.kind = "apply";
  ISSUERD_ASSIGN(a.user_id, required_text(call.body, "user_id"));
  ISSUERD_ASSIGN(a.request_id, required_text(call.body, "request_id"));
  ISSUERD_ASSIGN(a.card_product_id, required_text(call.body, "card_product_id"));
  const bj::value* level = call.body.if_contains("card_level");
  if (level != nullptr && level->is_int64()) {
    a.card_level = std::to_string(level->get_int64());
  } else {
    ISSUERD_ASSIGN(a.card_level, required_text(call.body, "card_level", 32));
  }
  ISSUERD_ASSIGN(a.phone_number, phone_number(call.body));
  ISSUERD_ASSIGN(a.phone_area_code, phone_area_code(call.body));
  ISSUERD_ASSIGN(a.embossed_name, json::optional_string(call.body, "embossed_name"));
  if (a.embossed_name && a.embossed_name->size() > 26) {
    return invalid("invalid_field", "embossed_name must be at most 26 characters", "embossed_name");
  }
  return a;
}

namespace {

void apply(Services& services, Call call, http::Responder respond) {
  auto application = parse_application(call);
  if (!application.ok()) return respond(error_response(application.error()));
  submit_application(services, call, "/v1/card/apply", std::move(application).value(), std::move(respond));
}

void apply_result(Services& services, Call call, http::Responder respond) {
  auto request_id = required_text(call.body, "request_id");
  auto user_id = required_text(call.body, "user_id");
  auto apply_id = json::optional_string(call.body, "apply_id");
  if (!request_id.ok()) return respond(error_response(request_id.error()));
  if (!user_id.ok()) return respond(error_response(user_id.error()));
  if (!apply_id.ok()) return respond(error_response(apply_id.error()));
  submit_read(services, call, "/v1/card/apply-result",
              [merchant_id = call.merchant.merchant_id, request_id = *request_id, user_id = *user_id,
               apply_id = *apply_id](storage::Store& store) -> Result<bj::value> {
                std::optional<storage::CardApplicationRecord> found;
                if (apply_id) {
                  ISSUERD_ASSIGN(found, store.cards().find_application(*apply_id));
                } else {
                  for (const char* kind : {"apply", "replace"}) {
                    if (found) break;
                    ISSUERD_ASSIGN(found, store.cards().find_application_by_request(merchant_id, kind, request_id));
                  }
                }
                if (!found || found->merchant_id != merchant_id || found->user_id != user_id ||
                    found->request_id != request_id) {
                  return make_error(ErrorKind::not_found, reason_order_not_exist, "no application matches");
                }
                return bj::value(application_json(*found));
              },
              std::move(respond));
}

// Reads card_id and user_id, the two fields every card route takes.
Result<std::pair<std::string, std::string>> card_and_user(const Call& call, const char* card_field = "card_id") {
  ISSUERD_ASSIGN(std::string card_id, required_text(call.body, card_field));
  ISSUERD_ASSIGN(std::string user_id, required_text(call.body, "user_id"));
  return std::make_pair(std::move(card_id), std::move(user_id));
}

void query(Services& services, Call call, http::Responder respond) {
  auto ids = card_and_user(call);
  if (!ids.ok()) return respond(error_response(ids.error()));
  submit_read(services, call, "/v1/card/query",
              [&services, merchant_id = call.merchant.merchant_id, ids = *ids](storage::Store& store) -> Result<bj::value> {
                ISSUERD_ASSIGN(auto card, find_users_card(store, merchant_id, ids.second, ids.first));
                ISSUERD_ASSIGN(auto view, card_json(store, card, services.clock.now_ms()));
                return bj::value(std::move(view));
              },
              std::move(respond));
}

// A status change (or a phone change) on one card, through the domain's state machine.
void change_card(Services& services, const Call& call, std::string route_pattern, CardAction action,
                 std::optional<std::pair<std::string, std::string>> new_phone, http::Responder respond) {
  auto ids = card_and_user(call);
  if (!ids.ok()) return respond(error_response(ids.error()));
  submit(services, call, route_pattern, "",
         [&services, merchant_id = call.merchant.merchant_id, ids = *ids, action,
          new_phone](storage::Store& store) -> WriteOutcome {
           auto card = find_users_card(store, merchant_id, ids.second, ids.first);
           if (!card.ok()) return {error_response(card.error()), false};
           auto next = domain::next_card_status(card->card_status, card->form, action);
           if (!next.ok()) return {error_response(next.error()), false};
           card->card_status = *next;
           if (new_phone) std::tie(card->phone_number, card->phone_area_code) = *new_phone;
           card->updated_at_ms = services.clock.now_ms();
           Status saved = store.cards().update_card(*card);
           if (!saved.ok()) return {error_response(saved.error()), false};
           bj::object data{{"card_id", card->card_id}, {"card_status", card->card_status}};
           if (new_phone) {
             data["phone_number"] = card->phone_number;
             data["phone_area_code"] = card->phone_area_code;
           }
           return {ok(data), true};
         },
         std::move(respond));
}

http::RouteHandler status_route(Services& services, std::string route_pattern, CardAction action) {
  return route(services, [route_pattern, action](Services& s, Call call, http::Responder respond) {
    change_card(s, call, route_pattern, action, std::nullopt, std::move(respond));
  });
}

void update_phone(Services& services, Call call, http::Responder respond) {
  auto number = phone_number(call.body);
  if (!number.ok()) return respond(error_response(number.error()));
  auto area = phone_area_code(call.body);
  if (!area.ok()) return respond(error_response(area.error()));
  change_card(services, call, "/v1/card/update-phone", CardAction::update_phone, std::make_pair(*number, *area),
              std::move(respond));
}

void replace(Services& services, Call call, http::Responder respond) {
  auto ids = card_and_user(call, "original_card_id");
  auto request_id = required_text(call.body, "request_id");
  auto reason = required_text(call.body, "replace_reason", 16);
  for (const Status& status : {Status(ids.ok() ? Status() : ids.error()), Status(request_id.ok() ? Status() : request_id.error()),
                               Status(reason.ok() ? Status() : reason.error())}) {
    if (!status.ok()) return respond(error_response(status.error()));
  }
  if (!domain::is_replace_reason(*reason)) {
    return respond(error_response(
        invalid("invalid_field", "replace_reason must be LOST, STOLEN, DAMAGED, EXPIRED or OTHER", "replace_reason")));
  }
  storage::CardApplicationRecord application;
  application.merchant_id = call.merchant.merchant_id;
  application.kind = "replace";
  application.request_id = *request_id;
  application.user_id = ids->second;
  application.original_card_id = ids->first;
  application.replace_reason = *reason;
  submit_application(services, call, "/v1/card/replace", std::move(application), std::move(respond));
}

void limit_change(Services& services, Call call, http::Responder respond) {
  auto ids = card_and_user(call);
  if (!ids.ok()) return respond(error_response(ids.error()));
  auto limit_text = json::required_amount_text(call.body, "daily_purchase_limit");
  if (!limit_text.ok()) return respond(error_response(limit_text.error()));
  submit(services, call, "/v1/card/limitChange", "",
         [&services, merchant_id = call.merchant.merchant_id, ids = *ids,
          limit_text = *limit_text](storage::Store& store) -> WriteOutcome {
           auto card = find_users_card(store, merchant_id, ids.second, ids.first);
           if (!card.ok()) return {error_response(card.error()), false};
           const Currency currency = *find_currency(card->currency);
           // 0 is a valid daily limit: it blocks purchases on the card.
           auto limit = parse_amount_minor(limit_text, currency, AmountSign::non_negative, "daily_purchase_limit");
           if (!limit.ok()) return {error_response(limit.error()), false};
           const std::int64_t now_ms = services.clock.now_ms();
           storage::SpendControlRecord control{card->card_id, "PURCHASE", "DAY", *limit, card->currency, true, now_ms, now_ms};
           Status saved = store.cards().upsert_control(control);
           if (!saved.ok()) return {error_response(saved.error()), false};
           return {ok(bj::object{{"card_id", card->card_id},
                                 {"daily_purchase_limit", format_amount(*limit, currency)},
                                 {"currency", card->currency}}),
                   true};
         },
         std::move(respond));
}

}  // namespace

void submit_application(Services& services, const Call& call, std::string route_pattern,
                        storage::CardApplicationRecord application, http::Responder respond) {
  const std::string request_id = application.request_id;
  submit(services, call, std::move(route_pattern), request_id,
         [&services, a = std::move(application)](storage::Store& store) mutable -> WriteOutcome {
           if (a.kind == "replace") {
             auto original = find_users_card(store, a.merchant_id, a.user_id, *a.original_card_id);
             if (!original.ok()) return {error_response(original.error()), false};
             if (original->card_status == domain::card_canceled) {
               return {error_response(make_error(ErrorKind::failed_precondition, "invalid_card_status",
                                                 "a canceled card cannot be replaced")), false};
             }
             a.card_product_id = original->card_product_id;
             a.card_level = original->card_level;
             a.phone_number = original->phone_number;
             a.phone_area_code = original->phone_area_code;
             a.embossed_name = original->embossed_name;
             a.share_quota_id = original->share_quota_id;
           }
           Status checked = check_application(store, a);
           if (!checked.ok()) return {error_response(checked.error()), false};
           const std::int64_t now_ms = services.clock.now_ms();
           a.apply_id = next_id();
           a.apply_status = "APPLYING";
           a.created_at_ms = a.updated_at_ms = now_ms;
           Status saved = store.cards().insert_application(a);
           if (saved.ok()) saved = jobs::enqueue_job(store, jobs::card_application_job, a.apply_id, now_ms);
           if (!saved.ok()) return {error_response(saved.error()), false};
           return {ok(bj::object{{"apply_status", a.apply_status}, {"apply_id", a.apply_id}, {"request_id", a.request_id}}),
                   true};
         },
         std::move(respond), [&services] { services.wake_jobs(); });
}

void register_card_routes(http::Router& router, Services& services) {
  router.add("POST", "/v1/card/apply", route(services, apply));
  router.add("POST", "/v1/card/apply-result", route(services, apply_result));
  router.add("POST", "/v1/card/query", route(services, query));
  router.add("POST", "/v1/card/activate", status_route(services, "/v1/card/activate", CardAction::activate));
  router.add("POST", "/v1/card/activate-physical",
             status_route(services, "/v1/card/activate-physical", CardAction::activate_physical));
  router.add("POST", "/v1/card/lock", status_route(services, "/v1/card/lock", CardAction::lock));
  router.add("POST", "/v1/card/unlock", status_route(services, "/v1/card/unlock", CardAction::unlock));
  router.add("POST", "/v1/card/update-phone", route(services, update_phone));
  router.add("POST", "/v1/card/replace", route(services, replace));
  router.add("POST", "/v1/card/limitChange", route(services, limit_change));
}

}  // namespace issuerd::api::musepay
