#include "app/admin_token.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "crypto/hashing.h"

namespace issuerd::app {

Result<AdminToken> resolve_admin_token(const std::string& flag_value, const std::string& key_dir) {
  if (!flag_value.empty()) {
    if (flag_value.size() < 16) {
      return make_error(ErrorKind::invalid_argument, "weak_admin_token", "--admin-token must be at least 16 characters");
    }
    return AdminToken{flag_value, false, ""};
  }
  const std::string path = key_dir + "/admin_token";
  std::ifstream existing(path);
  if (existing) {
    std::stringstream text;
    text << existing.rdbuf();
    std::string token = text.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.size() < 16) return make_error(ErrorKind::internal, "bad_admin_token_file", path + " holds no valid token");
    return AdminToken{token, false, path};
  }
  const std::string token = "iat_" + crypto::random_token(32);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return make_error(ErrorKind::internal, "admin_token_write_failed", "cannot create " + path);
  const std::string line = token + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written) return make_error(ErrorKind::internal, "admin_token_write_failed", "cannot write " + path);
  return AdminToken{token, true, path};
}

}  // namespace issuerd::app
