#include "http/message.h"

namespace issuerd::http {

std::optional<std::string_view> Request::header(std::string_view lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return std::string_view(value);
  }
  return std::nullopt;
}

void Response::finish_body() {
  if (!body_maker) return;
  body = body_maker();
  body_maker = nullptr;
}

}  // namespace issuerd::http
