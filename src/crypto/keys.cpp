#include "crypto/keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "crypto/hashing.h"
#include "crypto/openssl_util.h"

namespace issuerd::crypto {

using detail::SecretString;

namespace {

constexpr std::size_t kMaxKeyFileSize = 64 * 1024;

Error key_error(std::string reason, const std::string& message) {
  return make_error(ErrorKind::internal, std::move(reason), message);
}

std::string errno_text(int err) { return std::strerror(err); }

// mkdir -p, each created component mode 0700; the last one is then made private.
Status make_private_directory(const std::string& directory) {
  if (directory.empty()) return key_error("key_directory_failed", "the key directory is not set");
  std::string path;
  std::size_t pos = 0;
  while (pos <= directory.size()) {
    const auto slash = directory.find('/', pos);
    const auto end = slash == std::string::npos ? directory.size() : slash;
    path = directory.substr(0, end);
    pos = end + 1;
    if (path.empty()) continue;  // leading '/'
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
      return key_error("key_directory_failed",
                       "cannot create key directory " + path + ": " + errno_text(errno));
    }
    if (slash == std::string::npos) break;
  }
  struct stat st {};
  if (::stat(directory.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return key_error("key_directory_failed", "key directory " + directory + " is not a directory");
  }
  if ((st.st_mode & 077) != 0 && ::chmod(directory.c_str(), 0700) != 0) {
    return key_error("key_directory_failed",
                     "cannot make key directory " + directory + " private: " + errno_text(errno));
  }
  return Status::success();
}

// Reads a key file; nullopt when it does not exist. Tightens a too-open mode to 0600.
Result<std::optional<std::string>> read_key_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>{};
    return key_error("key_file_unreadable", "cannot open key file " + path + ": " + errno_text(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::size_t>(st.st_size) > kMaxKeyFileSize) {
    ::close(fd);
    return key_error("key_file_malformed", "key file " + path + " is not a regular key file");
  }
  if ((st.st_mode & 077) != 0 && ::fchmod(fd, 0600) != 0) {
    const int err = errno;
    ::close(fd);
    return key_error("key_file_unreadable", "cannot make key file " + path + " private: " + errno_text(err));
  }
  std::string data;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      OPENSSL_cleanse(buf, sizeof buf);
      OPENSSL_cleanse(data.data(), data.size());
      ::close(fd);
      return key_error("key_file_unreadable", "cannot read key file " + path + ": " + errno_text(err));
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > kMaxKeyFileSize) break;
  }
  OPENSSL_cleanse(buf, sizeof buf);
  ::close(fd);
  return std::optional<std::string>(std::move(data));
}

Status fsync_directory(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return key_error("key_write_failed", "cannot open key directory " + directory);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return key_error("key_write_failed", "cannot sync key directory " + directory);
  return Status::success();
}

// Writes `contents` to a fresh temporary file (0600, O_EXCL), fsyncs it and moves it into
// place without replacing an existing file. Returns false (no error) if `path` appeared
// meanwhile (another process created it first).
Result<bool> write_key_file(const std::string& directory, const std::string& path,
                            const std::string& contents) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + random_token(6);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return key_error("key_write_failed", "cannot create key file " + tmp + ": " + errno_text(errno));
  }
  auto fail = [&](const std::string& what, int err) -> Error {
    ::close(fd);
    ::unlink(tmp.c_str());
    return key_error("key_write_failed", what + " " + tmp + ": " + errno_text(err));
  };
  std::size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write key file", errno);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("cannot sync key file", errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return key_error("key_write_failed", "cannot close key file " + tmp + ": " + errno_text(err));
  }
  // link() fails with EEXIST instead of replacing a key another process just wrote.
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    if (err == EEXIST) {
      ::unlink(tmp.c_str());
      return false;
    }
    if (err != EPERM && err != ENOTSUP && err != EOPNOTSUPP && err != ENOSYS) {
      ::unlink(tmp.c_str());
      return key_error("key_write_failed", "cannot install key file " + path + ": " + errno_text(err));
    }
    // The file system has no hard links: fall back to rename (absent a moment ago).
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      const int rerr = errno;
      ::unlink(tmp.c_str());
      return key_error("key_write_failed", "cannot install key file " + path + ": " + errno_text(rerr));
    }
  } else {
    ::unlink(tmp.c_str());
  }
  ISSUERD_TRY(fsync_directory(directory));
  return true;
}

std::string_view trim(std::string_view s) {
  const auto ws = " \t\r\n\f\v";
  const auto first = s.find_first_not_of(ws);
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(ws);
  return s.substr(first, last - first + 1);
}

// A hex symmetric key of `bytes` raw bytes: loaded, or created if absent.
Result<std::string> load_or_create_symmetric(const std::string& directory, const std::string& name,
                                             std::size_t bytes) {
  const std::string path = directory + "/" + name;
  for (int attempt = 0; attempt < 2; ++attempt) {
    ISSUERD_ASSIGN(auto existing, read_key_file(path));
    if (existing) {
      SecretString text(std::move(*existing));
      const std::string_view hex = trim(text.get());
      if (hex.size() != bytes * 2) {
        return key_error("key_file_malformed",
                         "key file " + path + " must hold " + std::to_string(bytes * 2) + " hex characters");
      }
      auto key = hex_decode(hex);
      if (!key.ok()) return key_error("key_file_malformed", "key file " + path + " is not hex");
      return std::move(key).value();
    }
    SecretString key(random_bytes(bytes));
    SecretString text(hex_encode(key.get()) + "\n");
    ISSUERD_ASSIGN(const bool created, write_key_file(directory, path, text.get()));
    if (created) {
      std::string out = key.get();
      return out;
    }
    // Someone else created it first: load theirs.
  }
  return key_error("key_write_failed", "key file " + path + " could not be created");
}

Result<RsaPrivateKey> load_or_create_rsa(const std::string& directory, const std::string& name) {
  const std::string path = directory + "/" + name;
  for (int attempt = 0; attempt < 2; ++attempt) {
    ISSUERD_ASSIGN(auto existing, read_key_file(path));
    if (existing) {
      SecretString text(std::move(*existing));
      auto key = RsaPrivateKey::parse(text.get());
      if (!key.ok()) {
        return key_error("key_file_malformed", "key file " + path + " is not an RSA private key");
      }
      return std::move(key).value();
    }
    ISSUERD_ASSIGN(auto key, RsaPrivateKey::generate());
    SecretString pem(key.to_pem());
    ISSUERD_ASSIGN(const bool created, write_key_file(directory, path, pem.get()));
    if (created) return key;
  }
  return key_error("key_write_failed", "key file " + path + " could not be created");
}

}  // namespace

Result<PlatformKeys> load_or_create_platform_keys(const std::string& directory) {
  ISSUERD_TRY(make_private_directory(directory));
  ISSUERD_ASSIGN(auto rsa, load_or_create_rsa(directory, "platform_rsa.pem"));
  PlatformKeys keys{std::move(rsa), {}, {}, {}, {}};
  ISSUERD_ASSIGN(keys.pan_key, load_or_create_symmetric(directory, "pan.key", 32));
  ISSUERD_ASSIGN(keys.hmac_key, load_or_create_symmetric(directory, "hmac.key", 32));
  ISSUERD_ASSIGN(keys.cvk, load_or_create_symmetric(directory, "cvk.key", 16));
  ISSUERD_ASSIGN(keys.pin_key, load_or_create_symmetric(directory, "pin.key", 32));
  return keys;
}

}  // namespace issuerd::crypto
