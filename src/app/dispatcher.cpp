#include "app/dispatcher.h"

#include <chrono>

#include "api/shared/problem.h"
#include "common/log.h"

namespace issuerd::app {

http::Handler make_dispatcher(const http::Router& router, Metrics& metrics, bool log_requests) {
  return [&router, &metrics, log_requests](http::Request request, http::Responder respond) {
    const auto started = std::chrono::steady_clock::now();
    http::Router::Match match = router.match(request.method, request.path);
    const std::string route = match.handler != nullptr ? std::string(match.pattern) : std::string("unmatched");
    http::Responder measured = [&metrics, log_requests, started, route, method = request.method,
                                request_id = request.request_id,
                                respond = std::move(respond)](http::Response response) {
      const auto elapsed_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::steady_clock::now() - started).count();
      metrics.record_request(method, route, response.status, elapsed_us);
      if (log_requests || response.status >= 500) {
        log::write(response.status >= 500 ? log::Level::warn : log::Level::info, "request",
                   {{"request_id", request_id}, {"method", method}, {"route", route},
                    {"status", response.status}, {"duration_us", elapsed_us}});
      }
      respond(std::move(response));
    };
    if (match.handler == nullptr) {
      const bool wrong_method = match.path_known;
      Error error = make_error(wrong_method ? ErrorKind::invalid_argument : ErrorKind::not_found,
                               wrong_method ? "method_not_allowed" : "route_not_found",
                               wrong_method ? "this path does not take " + request.method : "no such route");
      http::Response response = api::problem_response(error);
      if (wrong_method) response.status = 405;
      return measured(std::move(response));
    }
    (*match.handler)(request, match.params, std::move(measured));
  };
}

}  // namespace issuerd::app
