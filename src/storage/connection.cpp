#include "storage/connection.h"

#include <charconv>
#include <cstdio>
#include <system_error>

#include "common/assert.h"
#include "storage/postgres/postgres_connection.h"
#include "storage/sqlite/sqlite_connection.h"

namespace issuerd::storage {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::int64_t parse_integer_text(const std::string& text) {
  std::int64_t value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || text.empty()) {
    // Never print the value: a text column may hold a secret.
    std::fprintf(stderr, "issuerd: Row::integer on a non-integer text column (%zu bytes)\n",
                 text.size());
  }
  ISSUERD_ASSERT(ec == std::errc() && ptr == end && !text.empty());
  return value;
}

}  // namespace

const SqlValue& Row::at(std::size_t i) const {
  ISSUERD_ASSERT(i < columns_.size());
  return columns_[i];
}

bool Row::is_null(std::size_t i) const {
  return std::holds_alternative<std::nullptr_t>(at(i));
}

std::int64_t Row::integer(std::size_t i) const {
  const SqlValue& value = at(i);
  ISSUERD_ASSERT(!std::holds_alternative<std::nullptr_t>(value));
  if (const auto* number = std::get_if<std::int64_t>(&value)) return *number;
  return parse_integer_text(std::get<std::string>(value));
}

std::optional<std::int64_t> Row::optional_integer(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return integer(i);
}

std::string Row::text(std::size_t i) const {
  const SqlValue& value = at(i);
  ISSUERD_ASSERT(!std::holds_alternative<std::nullptr_t>(value));
  if (const auto* number = std::get_if<std::int64_t>(&value)) return std::to_string(*number);
  return std::get<std::string>(value);
}

std::optional<std::string> Row::optional_text(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return text(i);
}

Result<DatabaseUrl> parse_database_url(std::string_view url) {
  // The URL may hold a password: error messages never echo it.
  if (starts_with(url, "sqlite:")) {
    std::string_view path = url.substr(std::string_view("sqlite:").size());
    // Accept "sqlite:///abs/path" and "sqlite://rel" as well as "sqlite:PATH".
    if (starts_with(path, "//")) path.remove_prefix(2);
    if (path.empty()) {
      return make_error(ErrorKind::invalid_argument, "invalid_database_url",
                        "a sqlite: database URL needs a file path (sqlite:PATH)");
    }
    if (path.find('\0') != std::string_view::npos) {
      return make_error(ErrorKind::invalid_argument, "invalid_database_url",
                        "the sqlite: database path contains a NUL byte");
    }
    return DatabaseUrl{Dialect::sqlite, std::string(path)};
  }
  if (starts_with(url, "postgresql://") || starts_with(url, "postgres://")) {
    if (url.find('\0') != std::string_view::npos) {
      return make_error(ErrorKind::invalid_argument, "invalid_database_url",
                        "the PostgreSQL database URL contains a NUL byte");
    }
    return DatabaseUrl{Dialect::postgres, std::string(url)};
  }
  return make_error(ErrorKind::invalid_argument, "invalid_database_url",
                    "the database URL must start with sqlite:, postgresql:// or postgres://");
}

Result<std::unique_ptr<Connection>> open_connection(const DatabaseUrl& url) {
  switch (url.dialect) {
    case Dialect::sqlite: return open_sqlite_connection(url.location);
    case Dialect::postgres: return open_postgres_connection(url.location);
  }
  return make_error(ErrorKind::internal, "unknown_dialect", "unknown database dialect");
}

Status prepare_writer_connection(Connection& connection) {
  ISSUERD_TRY(connection.offload_checkpoints(WalLimits{}));
  return connection.size_page_cache(writer_page_cache_bytes);
}

}  // namespace issuerd::storage

namespace issuerd::storage::detail {

bool is_plain_identifier(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!(letter || (digit && i > 0))) return false;
  }
  return true;
}

std::string redact_parameters(std::string message, std::span<const SqlValue> params) {
  static constexpr std::string_view kRedacted = "<redacted>";
  for (const SqlValue& param : params) {
    const auto* text = std::get_if<std::string>(&param);
    if (text == nullptr || text->size() < 4) continue;
    std::size_t at = 0;
    while ((at = message.find(*text, at)) != std::string::npos) {
      message.replace(at, text->size(), kRedacted);
      at += kRedacted.size();
    }
  }
  return message;
}

}  // namespace issuerd::storage::detail
