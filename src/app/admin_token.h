// Where the operator's admin token comes from: --admin-token, else KEY_DIR/admin_token,
// else a new token generated into that file (mode 0600) and printed once.
#pragma once

#include <string>

#include "common/result.h"

namespace issuerd::app {

struct AdminToken {
  std::string token;
  bool generated = false;  // true only on the start that created it
  std::string path;        // the file it lives in ("" when given as a flag)
};

Result<AdminToken> resolve_admin_token(const std::string& flag_value, const std::string& key_dir);

}  // namespace issuerd::app
