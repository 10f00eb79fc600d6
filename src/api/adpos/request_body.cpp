#include "api/adpos/request_body.h"

#include "api/adpos/envelope.h"
#include "common/json.h"
#include "http/forms.h"

namespace issuerd::api::adpos {

namespace bj = boost::json;

namespace {

Error duplicate(const std::string& name) {
  return make_error(ErrorKind::invalid_argument, "duplicate_field", "the form sends " + name + " more than once", name);
}

// "rule[min_balance]" -> {"rule", "min_balance"}; nullopt for a plain name.
std::optional<std::pair<std::string, std::string>> bracketed(const std::string& name) {
  const std::size_t open = name.find('[');
  if (open == std::string::npos || open == 0 || name.back() != ']' || open + 2 >= name.size()) return std::nullopt;
  std::string inner = name.substr(open + 1, name.size() - open - 2);
  if (inner.find_first_of("[]") != std::string::npos) return std::nullopt;
  return std::make_pair(name.substr(0, open), std::move(inner));
}

Status add_field(bj::object& body, const std::string& name, std::string value) {
  auto nested = bracketed(name);
  if (!nested) {
    if (body.contains(name)) return duplicate(name);
    body[name] = std::move(value);
    return Status::success();
  }
  bj::value& outer = body[nested->first];
  if (outer.is_null()) outer = bj::object{};
  if (!outer.is_object() || outer.as_object().contains(nested->second)) return duplicate(name);
  outer.as_object()[nested->second] = std::move(value);
  return Status::success();
}

Result<bj::object> form_object(const http::Request& request, std::string_view content_type) {
  ISSUERD_ASSIGN(http::FormFields fields, http::parse_form(request.body, content_type));
  bj::object body;
  for (auto& [name, value] : fields) ISSUERD_TRY(add_field(body, name, std::move(value)));
  return body;
}

}  // namespace

Result<bj::object> read_body(const http::Request& request) {
  const std::string_view content_type = request.header("content-type").value_or("");
  switch (http::body_type(content_type)) {
    case http::BodyType::urlencoded:
    case http::BodyType::multipart: return form_object(request, content_type);
    case http::BodyType::none:
    case http::BodyType::json:
      if (request.body.empty()) return bj::object{};
      return json::parse_object(request.body);
    case http::BodyType::other: break;
  }
  return make_error(ErrorKind::invalid_argument, reason_unsupported_media_type,
                    "send application/json, application/x-www-form-urlencoded or multipart/form-data",
                    "Content-Type");
}

}  // namespace issuerd::api::adpos
