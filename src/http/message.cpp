#include "http/message.h"

namespace issuerd::http {

std::optional<std::string_view> Request::header(std::string_view lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return std::string_view(value);
  }
  return std::nullopt;
}

}  // namespace issuerd::http
