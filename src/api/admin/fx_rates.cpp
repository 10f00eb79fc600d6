#include "api/admin/fx_rates.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/admin/admin_support.h"
#include "api/shared/handler_support.h"
#include "api/shared/idempotency.h"
#include "api/shared/problem.h"
#include "common/currency.h"
#include "common/rate.h"

namespace issuerd::api::admin {

namespace bj = boost::json;

namespace {

struct FxRate {
  std::string base;
  std::string quote;
  std::string rate;
};

Result<FxRate> parse_fx_rate(const bj::object& body) {
  FxRate fx;
  ISSUERD_ASSIGN(fx.base, json::required_string(body, "base"));
  ISSUERD_ASSIGN(fx.quote, json::required_string(body, "quote"));
  for (const auto& [code, field] : {std::pair{&fx.base, "base"}, std::pair{&fx.quote, "quote"}}) {
    if (!find_currency(*code)) return invalid("unknown_currency", std::string(field) + " must be a supported code", field);
  }
  if (fx.base == fx.quote) return invalid("invalid_pair", "base and quote must differ", "quote");
  ISSUERD_ASSIGN(std::string text, json::required_amount_text(body, "rate"));
  ISSUERD_ASSIGN(std::int64_t ppb, parse_rate_ppb(text, "rate", INT64_MAX / 1000));
  if (ppb == 0) return invalid("invalid_rate", "rate must be greater than zero", "rate");
  fx.rate = format_rate_ppb(ppb);
  return fx;
}

void set_rate(Services& services, const http::Request& request, http::Responder respond) {
  auto body = json::parse_object(request.body);
  if (!body.ok()) return respond(problem_response(body.error()));
  auto fx = parse_fx_rate(*body);
  if (!fx.ok()) return respond(problem_response(fx.error()));
  IdempotentWrite write;
  write.scope = "admin";
  write.route = "/admin/v1/fx-rates";
  write.render_error = problem_response;
  write.apply = [&services, fx = *fx](storage::Store& store) -> WriteOutcome {
    Status saved = store.authorizations().upsert_fx_rate(fx.base, fx.quote, fx.rate, services.clock.now_ms());
    if (!saved.ok()) return {problem_response(saved.error()), false};
    return {json_response(200, bj::object{{"base", fx.base}, {"quote", fx.quote}, {"rate", fx.rate}}), true};
  };
  submit_idempotent_write(services, std::move(write), std::move(respond));
}

void list_rates(Services& services, http::Responder respond) {
  auto listed = services.readers.with_store([](storage::Store& store) -> Result<bj::object> {
    ISSUERD_ASSIGN(auto rows, store.connection().query(
                                  "SELECT base_currency, quote_currency, rate, updated_at_ms FROM fx_rates "
                                  "ORDER BY base_currency, quote_currency",
                                  {}));
    bj::array data;
    for (const auto& row : rows) {
      data.push_back(bj::object{{"base", row.text(0)}, {"quote", row.text(1)}, {"rate", row.text(2)},
                                {"updated_at", format_rfc3339_ms(row.integer(3))}});
    }
    return bj::object{{"data", std::move(data)}};
  });
  respond(listed.ok() ? json_response(200, *listed) : problem_response(listed.error()));
}

}  // namespace

void register_fx_rate_routes(http::Router& router, Services& services) {
  router.add("POST", "/admin/v1/fx-rates",
             guarded(services, [&services](const http::Request& request, const http::PathParams&, http::Responder r) {
               set_rate(services, request, std::move(r));
             }));
  router.add("GET", "/admin/v1/fx-rates",
             guarded(services, [&services](const http::Request&, const http::PathParams&, http::Responder r) {
               list_rates(services, std::move(r));
             }));
}

}  // namespace issuerd::api::admin
