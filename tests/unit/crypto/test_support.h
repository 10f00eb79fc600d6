// Shared helpers for the crypto unit tests.
#pragma once

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "crypto/rsa.h"

namespace issuerd::crypto::testing {

// One 2048-bit key per test binary (generation is slow).
inline const RsaPrivateKey& shared_private_key() {
  static const RsaPrivateKey key = RsaPrivateKey::generate().value();
  return key;
}

// A fresh private temporary directory, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "issuerd-crypto-XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    if (made == nullptr) std::abort();
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a shell command and returns its stdout; sets ok=false on a non-zero exit.
inline std::string run_command(const std::string& command, bool& ok) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ok = false;
    return out;
  }
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  ok = ::pclose(pipe) == 0;
  return out;
}

inline bool openssl_cli_available() {
  bool ok = false;
  run_command("openssl version >/dev/null 2>&1", ok);
  return ok;
}

}  // namespace issuerd::crypto::testing
