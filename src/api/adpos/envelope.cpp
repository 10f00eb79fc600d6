#include "api/adpos/envelope.h"

#include <algorithm>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "api/shared/handler_support.h"

namespace issuerd::api::adpos {

namespace bj = boost::json;

namespace {

bool is_malformed_body(const std::string& reason) {
  return reason == "invalid_json" || reason == "body_not_object" || reason == "malformed_form" ||
         reason == "form_too_large" || reason == "duplicate_field";
}

http::Response json(int status, const bj::object& body) {
  return http::Response{status, "application/json", bj::serialize(body), {}};
}

}  // namespace

http::Response ok(const bj::value& body) { return http::Response{200, "application/json", bj::serialize(body), {}}; }

int status_for(const Error& error) {
  if (error.reason == reason_unsupported_media_type) return 415;
  switch (error.kind) {
    case ErrorKind::invalid_argument: return is_malformed_body(error.reason) ? 400 : 422;
    case ErrorKind::unauthenticated: return 401;
    case ErrorKind::forbidden: return 403;
    case ErrorKind::failed_precondition: return 403;
    case ErrorKind::not_found: return 404;
    case ErrorKind::conflict: return 409;
    case ErrorKind::unavailable: return 503;
    case ErrorKind::internal: return 500;
  }
  return 500;
}

http::Response error_response(const Error& error) {
  const int status = status_for(error);
  if (status == 422) return validation_response({{error.field.empty() ? "body" : error.field, error.message}});
  return json(status, bj::object{{"message", error.message}, {"reason", error.reason}});
}

http::Response validation_response(const FieldErrors& errors) {
  bj::object by_field;
  for (const auto& [field, message] : errors) {
    auto found = by_field.find(field);
    if (found == by_field.end()) {
      by_field[field] = bj::array{bj::value(message)};
    } else {
      found->value().as_array().emplace_back(message);
    }
  }
  std::string message = errors.empty() ? "The given data was invalid." : errors.front().second;
  if (errors.size() > 1) {
    const std::size_t more = errors.size() - 1;
    message += " (and " + std::to_string(more) + " more error" + (more == 1 ? ")" : "s)");
  }
  return json(422, bj::object{{"message", message}, {"reason", "validation_failed"}, {"errors", std::move(by_field)}});
}

Result<json::Page> read_list_page(const http::Request& request) {
  return read_page(request.query, "page", "per_page", per_page_default, per_page_max);
}

bj::object list_page(bj::array data, const json::Page& page, std::int64_t total) {
  const std::int64_t last_page = std::max<std::int64_t>(1, (total + page.size - 1) / page.size);
  return bj::object{{"data", std::move(data)},
                    {"meta", bj::object{{"current_page", page.number},
                                        {"per_page", page.size},
                                        {"total", total},
                                        {"last_page", last_page}}}};
}

}  // namespace issuerd::api::adpos
