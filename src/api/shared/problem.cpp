#include "api/shared/problem.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace issuerd::api {

int problem_status(const Error& error) {
  switch (error.kind) {
    case ErrorKind::invalid_argument:
      return error.reason == "invalid_json" || error.reason == "body_not_object" ? 400 : 422;
    case ErrorKind::unauthenticated: return 401;
    case ErrorKind::forbidden: return 403;
    case ErrorKind::not_found: return 404;
    case ErrorKind::conflict: return 409;
    case ErrorKind::failed_precondition: return 409;
    case ErrorKind::unavailable: return 503;
    case ErrorKind::internal: return 500;
  }
  return 500;
}

namespace {
const char* title_for(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 422: return "Unprocessable Content";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
  }
}
}  // namespace

http::Response problem_response(const Error& error) {
  const int status = problem_status(error);
  boost::json::object body;
  body["type"] = "urn:issuerd:error:" + error.reason;
  body["title"] = title_for(status);
  body["status"] = status;
  body["detail"] = error.message;
  body["reason"] = error.reason;
  if (!error.field.empty()) body["field"] = error.field;
  http::Response response;
  response.status = status;
  response.content_type = "application/problem+json";
  response.body = boost::json::serialize(body);
  return response;
}

}  // namespace issuerd::api
