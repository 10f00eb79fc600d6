// RSA keys for MusePay-style request signatures (SHA1withRSA, PKCS#1 v1.5), callback
// signatures, and PIN decryption (RSA PKCS#1 v1.5 encryption, Java "RSA").
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace issuerd::crypto {

class RsaPublicKey {
 public:
  // Accepts Base64 DER (X.509 SubjectPublicKeyInfo) with or without PEM armour, or
  // PEM "BEGIN PUBLIC KEY" / "BEGIN RSA PUBLIC KEY". Error kind invalid_argument,
  // reason "invalid_public_key", on anything else or on a non-RSA key.
  static Result<RsaPublicKey> parse(std::string_view text);
  // Base64 (no line breaks) of the DER SubjectPublicKeyInfo.
  std::string der_base64() const;
  // Verifies a Base64 SHA1withRSA (PKCS#1 v1.5) signature over `message`.
  bool verify_sha1(std::string_view message, std::string_view signature_base64) const;
  // Encrypts with RSA PKCS#1 v1.5 padding and returns Base64 (what a client does to a PIN).
  Result<std::string> encrypt_pkcs1_base64(std::string_view plaintext) const;

  RsaPublicKey(RsaPublicKey&&) noexcept;
  RsaPublicKey& operator=(RsaPublicKey&&) noexcept;
  RsaPublicKey(const RsaPublicKey&);
  RsaPublicKey& operator=(const RsaPublicKey&);
  ~RsaPublicKey();

 private:
  struct Impl;
  explicit RsaPublicKey(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;  // immutable after parse, so sharing is thread-safe
};

class RsaPrivateKey {
 public:
  // A fresh 2048-bit key.
  static Result<RsaPrivateKey> generate();
  // Accepts Base64 DER PKCS#8 with or without PEM armour, or PEM "BEGIN RSA PRIVATE KEY".
  static Result<RsaPrivateKey> parse(std::string_view text);
  // PEM PKCS#8 ("BEGIN PRIVATE KEY"), for writing into the key directory.
  std::string to_pem() const;
  // Base64 DER PKCS#8, the form MusePay hands to partners.
  std::string der_base64() const;
  RsaPublicKey public_key() const;
  // Base64 SHA1withRSA (PKCS#1 v1.5) signature over `message`.
  std::string sign_sha1(std::string_view message) const;
  // Decrypts Base64 RSA PKCS#1 v1.5 ciphertext. invalid_argument, reason
  // "invalid_ciphertext", on bad Base64 or bad padding. The plaintext is the caller's to wipe.
  Result<std::string> decrypt_pkcs1_base64(std::string_view ciphertext_base64) const;

  RsaPrivateKey(RsaPrivateKey&&) noexcept;
  RsaPrivateKey& operator=(RsaPrivateKey&&) noexcept;
  RsaPrivateKey(const RsaPrivateKey&);
  RsaPrivateKey& operator=(const RsaPrivateKey&);
  ~RsaPrivateKey();

 private:
  struct Impl;
  explicit RsaPrivateKey(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace issuerd::crypto
