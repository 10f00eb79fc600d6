#include "api/hashdt/envelope.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace issuerd::api::hashdt {

namespace bj = boost::json;

http::Response success(const std::string& message, bj::array data) {
  bj::object body{{"status", "Success"}, {"message", message}, {"code", 200}, {"data", std::move(data)}};
  return http::Response{200, "application/json", bj::serialize(body), {}};
}

int status_for(const Error& error) {
  if (error.reason == reason_unsupported_media_type) return 415;
  switch (error.kind) {
    case ErrorKind::invalid_argument: return 400;
    case ErrorKind::unauthenticated: return 401;
    case ErrorKind::forbidden: return 403;
    case ErrorKind::not_found: return 404;
    case ErrorKind::conflict: return 409;
    // A business rule refused a well-formed request (a holder that is not active).
    case ErrorKind::failed_precondition: return 422;
    case ErrorKind::unavailable: return 503;
    case ErrorKind::internal: return 500;
  }
  return 500;
}

http::Response error_response(const Error& error) {
  const int status = status_for(error);
  bj::object body{{"status", "Error"}, {"message", error.message}, {"code", status}, {"data", bj::array{}}};
  body["reason"] = error.reason;
  if (!error.field.empty()) body["field"] = error.field;
  return http::Response{status, "application/json", bj::serialize(body), {}};
}

}  // namespace issuerd::api::hashdt
