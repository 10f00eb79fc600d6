#include "api/admin/daily_fee_routes.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/admin/admin_support.h"
#include "api/shared/handler_support.h"
#include "api/shared/idempotency.h"
#include "api/shared/problem.h"
#include "common/currency.h"
#include "common/money.h"
#include "jobs/daily_fees.h"

namespace issuerd::api::admin {

namespace bj = boost::json;

namespace {

bj::object fee_json(const jobs::QuotaFeeResult& r) {
  const Currency currency = *find_currency(r.currency);
  return bj::object{{"share_quota_id", r.share_quota_id},
                    {"currency", r.currency},
                    {"over_limit", format_amount(r.fee.over_limit_minor, currency)},
                    {"fee", format_amount(r.fee.fee_minor, currency)},
                    {"charged", format_amount(r.fee.charged_minor, currency)},
                    {"already_charged", r.fee.already_charged}};
}

void run_day(Services& services, const http::Request& request, http::Responder respond) {
  auto body = json::parse_object(request.body);
  if (!body.ok()) return respond(problem_response(body.error()));
  auto date = json::required_string(*body, "date");
  if (!date.ok()) return respond(problem_response(date.error()));
  if (auto start = jobs::day_start_ms(*date); !start.ok()) return respond(problem_response(start.error()));
  IdempotentWrite write;
  write.scope = "admin";
  write.route = "/admin/v1/jobs/daily-fees/run";
  write.render_error = problem_response;
  write.apply = [&services, date = *date](storage::Store& store) -> WriteOutcome {
    auto results = jobs::run_daily_fees(store, date, services.clock.now_ms());
    if (!results.ok()) return {problem_response(results.error()), false};
    bj::array quotas;
    for (const auto& r : *results) quotas.push_back(fee_json(r));
    return {json_response(200, bj::object{{"date", date}, {"quotas", std::move(quotas)}}), true};
  };
  submit_idempotent_write(services, std::move(write), std::move(respond));
}

}  // namespace

void register_daily_fee_routes(http::Router& router, Services& services) {
  router.add("POST", "/admin/v1/jobs/daily-fees/run",
             guarded(services, [&services](const http::Request& request, const http::PathParams&, http::Responder r) {
               run_day(services, request, std::move(r));
             }));
}

}  // namespace issuerd::api::admin
