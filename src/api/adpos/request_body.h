// Reading an AdPos request body. AdPos documents its routes as FORMDATA, and its clients
// send JSON too, so every body is read into one JSON object:
// - application/json (or no Content-Type): the JSON object as sent;
// - application/x-www-form-urlencoded and multipart/form-data (http/forms.h): each field
//   a string; PHP-style "rule[min_balance]" fields become the object "rule" (one level),
//   as AdPos's PHP backend reads them; a name sent twice is refused (duplicate_field),
//   since which one was meant is a guess;
// - anything else: 415. An empty body reads as {}.
// A field whose value is JSON text (auto_topup_rule sent as a string) stays a string here;
// the route decides whether to parse it.
#pragma once

#include <boost/json/object.hpp>

#include "common/result.h"
#include "http/message.h"

namespace issuerd::api::adpos {

Result<boost::json::object> read_body(const http::Request& request);

}  // namespace issuerd::api::adpos
