#include "api/adpos/apply.h"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "api/adpos/apply_request.h"
#include "api/adpos/auth.h"
#include "api/adpos/envelope.h"
#include "api/adpos/request_body.h"
#include "api/shared/idempotency.h"
#include "common/currency.h"
#include "common/money.h"
#include "jobs/job_runner.h"

namespace issuerd::api::adpos {

namespace bj = boost::json;

namespace {

constexpr const char* apply_route = "POST /cards/apply";

// The main account must cover every standard card's opening balance now; the job moves it
// card by card (and records a card failed if the balance fell meanwhile).
Status check_main_covers(storage::Store& store, const std::string& merchant_id, const jobs::AdposCardRequest& card) {
  if (card.card_type != "standard" || card.every_card_top_up_minor == 0) return Status::success();
  const Currency currency = *find_currency(card.currency);
  std::int64_t needed = 0;
  const bool overflows = multiply_overflows(card.num, card.every_card_top_up_minor, &needed);
  ISSUERD_ASSIGN(auto account, store.find_account(domain::AccountKind::merchant_main, merchant_id, card.currency));
  const std::int64_t available = account ? account->available_minor() : 0;
  if (!overflows && available >= needed) return Status::success();
  return make_error(ErrorKind::forbidden, "insufficient_balance",
                    "Insufficient balance: the main account has " + format_amount(available, currency) + " " +
                        card.currency + " available, num x every_card_top_up_amount needs " +
                        (overflows ? std::string("more") : format_amount(needed, currency)) + ".",
                    "every_card_top_up_amount");
}

Result<std::int64_t> create_task(storage::Store& store, const std::string& merchant_id, const ApplyRequest& request,
                                 std::int64_t now_ms) {
  ISSUERD_TRY(check_main_covers(store, merchant_id, request.card));
  ISSUERD_ASSIGN(std::int64_t task_id, store.adpos().next_task_id());
  storage::AdposTaskRecord task{task_id, merchant_id, request.request_id, "pending", jobs::to_json_text(request.card),
                                request.card.num, 0, 0, now_ms, now_ms};
  ISSUERD_TRY(store.adpos().insert_task(task));
  ISSUERD_TRY(jobs::enqueue_job(store, jobs::adpos_task_job, std::to_string(task_id), now_ms));
  // The cards' callbacks will be signed with it: make it now, so it exists before them.
  ISSUERD_TRY(ensure_webhook_secret(store, merchant_id));
  return task_id;
}

void submit_apply(Services& services, const std::string& merchant_id, ApplyRequest request, http::Responder respond) {
  IdempotentWrite write;
  write.scope = merchant_id;
  write.route = apply_route;
  write.key = request.request_id.value_or("");
  // The validated request, so a form and a JSON body saying the same thing are "the same".
  write.request_hash = api::request_hash(apply_route, bj::parse(jobs::to_json_text(request.card)).as_object());
  write.apply = [&services, merchant_id, request = std::move(request)](storage::Store& store) -> WriteOutcome {
    auto task_id = create_task(store, merchant_id, request, services.clock.now_ms());
    if (!task_id.ok()) return {error_response(task_id.error()), false};
    return {ok(bj::object{{"task_id", *task_id}}), true};
  };
  write.render_error = error_response;
  write.after_commit = [&services] { services.wake_jobs(); };
  submit_idempotent_write(services, std::move(write), std::move(respond));
}

void apply(Services& services, const http::Request& request, http::Responder respond) {
  auto merchant = authenticate(services, request);
  if (!merchant.ok()) return respond(error_response(merchant.error()));
  auto body = read_body(request);
  if (!body.ok()) return respond(error_response(body.error()));
  auto products = services.readers.with_store([](storage::Store& store) { return store.list_card_products(); });
  if (!products.ok()) return respond(error_response(products.error()));
  ApplyParse parsed = parse_apply(*body, merchant->merchant_id, *products);
  if (!parsed.errors.empty()) return respond(validation_response(parsed.errors));
  if (parsed.forbidden) return respond(error_response(*parsed.forbidden));
  submit_apply(services, merchant->merchant_id, std::move(parsed.request), std::move(respond));
}

}  // namespace

void register_apply_routes(http::Router& router, Services& services) {
  router.add("POST", "/cards/apply",
             [&services](const http::Request& request, const http::PathParams&, http::Responder respond) {
               apply(services, request, std::move(respond));
             });
}

}  // namespace issuerd::api::adpos
