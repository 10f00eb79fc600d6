// MusePay's envelope: {"code": 200, "message": "success", "data": {...}} on success; on
// error the same shape with the vendor's code (VENDOR-NOTES.md). The HTTP status tells the
// class (400, 401, 403, 404, 503, 500) and `code` the specific reason where MusePay has
// one: 406 SIGN_ERROR, 412 WRONG_TIMESTAMP_OR_NONCE, 5004 USER_STATUS_INVALID,
// 7000 ORDER_NOT_EXIST, 7002 CURRENCY_NOT_SUPPORT, 202203 INSUFFICIENT_BALANCE,
// 202206 QUOTA_MIN_CHECK_FAIL, 202224 DOUBLE_PAYMENT.
#pragma once

#include <boost/json/value.hpp>

#include "common/result.h"
#include "http/message.h"

namespace issuerd::api::musepay {

http::Response ok(const boost::json::value& data);
http::Response error_response(const Error& error);

// Reasons that map onto MusePay's own codes; use them in Errors this dialect returns.
inline constexpr const char* reason_sign_error = "sign_error";
inline constexpr const char* reason_wrong_timestamp_or_nonce = "wrong_timestamp_or_nonce";
inline constexpr const char* reason_user_status_invalid = "user_status_invalid";
inline constexpr const char* reason_order_not_exist = "order_not_exist";
inline constexpr const char* reason_currency_not_support = "currency_not_support";
inline constexpr const char* reason_insufficient_balance = "insufficient_balance";
inline constexpr const char* reason_quota_min_check_fail = "quota_min_check_fail";
inline constexpr const char* reason_double_payment = "idempotency_key_reused";

}  // namespace issuerd::api::musepay
