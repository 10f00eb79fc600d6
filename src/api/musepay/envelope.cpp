#include "api/musepay/envelope.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace issuerd::api::musepay {

namespace bj = boost::json;

namespace {

struct Code {
  int http_status;
  int code;
  const char* name;
};

Code code_for(const Error& error) {
  const std::string& reason = error.reason;
  if (reason == reason_sign_error) return {401, 406, "SIGN_ERROR"};
  if (reason == reason_wrong_timestamp_or_nonce) return {401, 412, "WRONG_TIMESTAMP_OR_NONCE"};
  if (reason == reason_user_status_invalid) return {400, 5004, "USER_STATUS_INVALID"};
  if (reason == reason_order_not_exist) return {404, 7000, "ORDER_NOT_EXIST"};
  if (reason == reason_currency_not_support) return {400, 7002, "CURRENCY_NOT_SUPPORT"};
  if (reason == reason_insufficient_balance) return {400, 202203, "INSUFFICIENT_BALANCE"};
  if (reason == reason_quota_min_check_fail) return {400, 202206, "QUOTA_MIN_CHECK_FAIL"};
  if (reason == reason_double_payment) return {400, 202224, "DOUBLE_PAYMENT"};
  switch (error.kind) {
    case ErrorKind::invalid_argument: return {400, 400, "INVALID_REQUEST"};
    case ErrorKind::unauthenticated: return {401, 401, "NOT_AUTHORIZED"};
    case ErrorKind::forbidden: return {403, 403, "FORBIDDEN"};
    case ErrorKind::not_found: return {404, 404, "RESOURCE_NOT_FOUND"};
    case ErrorKind::conflict: return {400, 400, "INVALID_REQUEST"};
    case ErrorKind::failed_precondition: return {400, 400, "INVALID_REQUEST"};
    case ErrorKind::unavailable: return {503, 503, "SERVICE_UNAVAILABLE"};
    case ErrorKind::internal: return {500, 500, "INTERNAL_ERROR"};
  }
  return {500, 500, "INTERNAL_ERROR"};
}

}  // namespace

http::Response ok(const bj::value& data) {
  bj::object body{{"code", 200}, {"message", "success"}, {"data", data}};
  return http::Response{200, "application/json", bj::serialize(body), {}};
}

http::Response error_response(const Error& error) {
  const Code code = code_for(error);
  // message: the vendor's constant, then what exactly was wrong (and with which field).
  std::string message = std::string(code.name) + ": " + error.message;
  bj::object body{{"code", code.code}, {"message", message}, {"data", nullptr}};
  if (!error.field.empty()) body["field"] = error.field;
  body["reason"] = error.reason;
  return http::Response{code.http_status, "application/json", bj::serialize(body), {}};
}

}  // namespace issuerd::api::musepay
