// The PostgreSQL driver (libpq): `?` placeholders are rewritten to $1..$n, each distinct
// SQL text is prepared once per connection (s1, s2, ...), parameters are sent as text.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "storage/connection.h"

namespace issuerd::storage {

// Connects with a libpq URI and sets synchronous_commit=on, client_encoding UTF8 and
// TimeZone UTC for the session.
Result<std::unique_ptr<Connection>> open_postgres_connection(const std::string& uri);

namespace postgres_detail {
struct RewrittenSql {
  std::string sql;             // with $1..$n
  std::size_t parameters = 0;  // n
};
// Rewrites each `?` outside '...' / E'...' literals, "..." identifiers, $tag$...$tag$
// strings, -- and /* */ comments to $1..$n, in order.
RewrittenSql rewrite_placeholders(std::string_view sql);
}  // namespace postgres_detail

}  // namespace issuerd::storage
