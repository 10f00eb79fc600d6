// Internal to crypto/: RAII owners for OpenSSL objects and small helpers.
#pragma once

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace issuerd::crypto::detail {

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct PkeyCtxFree { void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); } };
struct MdCtxFree { void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); } };
struct CipherCtxFree { void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); } };
struct Pkcs8Free { void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); } };
struct OpensslFree { void operator()(unsigned char* p) const { OPENSSL_free(p); } };

using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
using Pkcs8Ptr = std::unique_ptr<PKCS8_PRIV_KEY_INFO, Pkcs8Free>;

// A std::string whose bytes are wiped when it goes out of scope.
class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string s) : s_(std::move(s)) {}
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  ~SecretString() { wipe(); }
  std::string& get() { return s_; }
  const std::string& get() const { return s_; }
  void wipe() {
    if (!s_.empty()) OPENSSL_cleanse(s_.data(), s_.size());
    s_.clear();
  }

 private:
  std::string s_;
};

inline const unsigned char* uchar(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace issuerd::crypto::detail
