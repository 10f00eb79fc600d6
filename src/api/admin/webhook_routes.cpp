#include "api/admin/webhook_routes.h"

#include <algorithm>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/admin/admin_support.h"
#include "api/shared/handler_support.h"
#include "api/shared/idempotency.h"
#include "api/shared/problem.h"
#include "common/clock.h"
#include "jobs/outbox.h"

namespace issuerd::api::admin {

namespace bj = boost::json;

namespace {

constexpr std::int64_t kEventsDefault = 50;
constexpr std::int64_t kEventsMax = 1000;

Error merchant_not_found() {
  return make_error(ErrorKind::not_found, "merchant_not_found", "no merchant with this id");
}

bj::value optional_time(const std::optional<std::int64_t>& unix_ms) {
  return unix_ms ? bj::value(format_rfc3339_ms(*unix_ms)) : bj::value(nullptr);
}

// What an operator needs to see why a merchant is (not) getting callbacks; never the
// payload, which is the merchant's business.
bj::object event_json(const storage::OutboxEvent& event) {
  bj::object out;
  out["event_id"] = event.event_id;
  out["type"] = event.event_type;
  out["status"] = event.status;
  out["attempts"] = event.attempts;
  out["last_error"] = event.last_error ? bj::value(*event.last_error) : bj::value(nullptr);
  out["created_at"] = format_rfc3339_ms(event.created_at_ms);
  // A first attempt is stored as due at 0 ("at once"); show it as due since creation.
  const std::int64_t next_ms = std::max(event.next_attempt_at_ms, event.created_at_ms);
  out["next_attempt_at"] = event.status == "pending" ? bj::value(format_rfc3339_ms(next_ms)) : bj::value(nullptr);
  out["delivered_at"] = optional_time(event.delivered_at_ms);
  return out;
}

void send_test_callback(Services& services, const http::Request& request, const http::PathParams& params,
                        http::Responder respond) {
  IdempotentWrite write;
  write.scope = "admin";
  write.route = "/admin/v1/merchants/{id}/webhooks/test";
  write.request_hash = request_hash(request.path, bj::object{});
  write.render_error = problem_response;
  write.apply = [merchant_id = params.get("id")](storage::Store& store) -> WriteOutcome {
    auto merchant = store.find_merchant(merchant_id);
    if (!merchant.ok()) return {problem_response(merchant.error()), false};
    if (!*merchant) return {problem_response(merchant_not_found()), false};
    // The outbox schedules on the wall clock, never the (possibly frozen) test clock.
    auto event_id = jobs::enqueue_callback_with_id(store, merchant_id, "WEBHOOK_TEST", bj::object{{"message", "test"}},
                                                   wall_clock_ms());
    if (!event_id.ok()) return {problem_response(event_id.error()), false};
    return {json_response(202, bj::object{{"event_id", *event_id}}), true};
  };
  submit_idempotent_write(services, std::move(write), std::move(respond));
}

void list_events(Services& services, const http::Request& request, const http::PathParams& params,
                 http::Responder respond) {
  auto page = read_page(request.query, "page", "limit", kEventsDefault, kEventsMax);
  if (!page.ok()) return respond(problem_response(page.error()));
  const std::string& merchant_id = params.get("id");
  auto listed = services.readers.with_store([&](storage::Store& store) -> Result<bj::object> {
    ISSUERD_ASSIGN(auto merchant, store.find_merchant(merchant_id));
    if (!merchant) return merchant_not_found();
    ISSUERD_ASSIGN(auto events, store.outbox().list_for_merchant(merchant_id, page->size));
    bj::array data;
    for (const auto& event : events) data.push_back(event_json(event));
    return bj::object{{"data", std::move(data)}, {"limit", page->size}};
  });
  respond(listed.ok() ? json_response(200, *listed) : problem_response(listed.error()));
}

}  // namespace

void register_webhook_routes(http::Router& router, Services& services) {
  router.add("POST", "/admin/v1/merchants/{id}/webhooks/test",
             guarded(services, [&services](const http::Request& request, const http::PathParams& params,
                                           http::Responder r) { send_test_callback(services, request, params, std::move(r)); }));
  router.add("GET", "/admin/v1/merchants/{id}/events",
             guarded(services, [&services](const http::Request& request, const http::PathParams& params,
                                           http::Responder r) { list_events(services, request, params, std::move(r)); }));
}

}  // namespace issuerd::api::admin
