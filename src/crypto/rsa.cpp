#include "crypto/rsa.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <limits>
#include <optional>

#include "common/assert.h"
#include "crypto/hashing.h"
#include "crypto/openssl_util.h"

namespace issuerd::crypto {

using detail::MdCtxPtr;
using detail::Pkcs8Ptr;
using detail::PkeyCtxPtr;
using detail::PkeyPtr;
using detail::SecretString;
using detail::uchar;

struct RsaPublicKey::Impl {
  PkeyPtr pkey;
};

struct RsaPrivateKey::Impl {
  PkeyPtr pkey;
};

namespace {

constexpr int kMinParsedBits = 1024;
constexpr int kGeneratedBits = 2048;

// The Base64 body of a key, and the PEM label if it had armour ("" when bare).
struct KeyText {
  std::string label;
  std::string base64;
};

std::string_view trim(std::string_view s) {
  const auto ws = " \t\r\n\f\v";
  const auto first = s.find_first_not_of(ws);
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(ws);
  return s.substr(first, last - first + 1);
}

std::optional<KeyText> split_pem(std::string_view text) {
  text = trim(text);
  constexpr std::string_view kBegin = "-----BEGIN ";
  constexpr std::string_view kDashes = "-----";
  if (text.substr(0, kBegin.size()) != kBegin) {
    return KeyText{"", std::string(text)};
  }
  const auto label_end = text.find(kDashes, kBegin.size());
  if (label_end == std::string_view::npos) return std::nullopt;
  std::string label(text.substr(kBegin.size(), label_end - kBegin.size()));
  const std::string end_marker = "-----END " + label + "-----";
  const auto body_start = label_end + kDashes.size();
  const auto end_pos = text.find(end_marker, body_start);
  if (end_pos == std::string_view::npos) return std::nullopt;
  if (!trim(text.substr(end_pos + end_marker.size())).empty()) return std::nullopt;
  std::string_view body = text.substr(body_start, end_pos - body_start);
  // PEM headers (e.g. "Proc-Type: 4,ENCRYPTED") mean an encrypted legacy key: unsupported.
  if (body.find(':') != std::string_view::npos) return std::nullopt;
  return KeyText{std::move(label), std::string(body)};
}

bool acceptable_rsa(const EVP_PKEY* pkey) {
  return pkey != nullptr && EVP_PKEY_is_a(pkey, "RSA") && EVP_PKEY_get_bits(pkey) >= kMinParsedBits;
}

PkeyPtr d2i_spki(const std::string& der) {
  const unsigned char* p = uchar(der);
  PkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (key && p != uchar(der) + der.size()) return nullptr;
  return key;
}

PkeyPtr d2i_pkcs1_public(const std::string& der) {
  const unsigned char* p = uchar(der);
  PkeyPtr key(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(der.size())));
  if (key && p != uchar(der) + der.size()) return nullptr;
  return key;
}

PkeyPtr d2i_pkcs8_private(const std::string& der) {
  const unsigned char* p = uchar(der);
  Pkcs8Ptr info(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size())));
  if (!info || p != uchar(der) + der.size()) return nullptr;
  return PkeyPtr(EVP_PKCS82PKEY(info.get()));
}

PkeyPtr d2i_pkcs1_private(const std::string& der) {
  const unsigned char* p = uchar(der);
  PkeyPtr key(d2i_PrivateKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(der.size())));
  if (key && p != uchar(der) + der.size()) return nullptr;
  return key;
}

std::string der_of_public(const EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(pkey, &der);
  ISSUERD_ASSERT(len > 0 && der != nullptr);
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

// PKCS#8 PrivateKeyInfo DER. The caller wipes it.
std::string der_of_private(const EVP_PKEY* pkey) {
  Pkcs8Ptr info(EVP_PKEY2PKCS8(pkey));
  ISSUERD_ASSERT(info != nullptr);
  unsigned char* der = nullptr;
  const int len = i2d_PKCS8_PRIV_KEY_INFO(info.get(), &der);
  ISSUERD_ASSERT(len > 0 && der != nullptr);
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_clear_free(der, static_cast<std::size_t>(len));
  return out;
}

Error invalid_public_key() {
  return make_error(ErrorKind::invalid_argument, "invalid_public_key",
                    "the public key is not a Base64 DER or PEM RSA public key");
}

Error invalid_private_key() {
  return make_error(ErrorKind::invalid_argument, "invalid_private_key",
                    "the private key is not a Base64 DER PKCS#8 or PEM RSA private key");
}

Error invalid_ciphertext() {
  return make_error(ErrorKind::invalid_argument, "invalid_ciphertext",
                    "the ciphertext could not be decrypted");
}

// Turns off OpenSSL's implicit rejection (3.2+) for PKCS#1 v1.5 decryption so that a bad
// padding is reported as an error rather than as random plaintext. Older providers ignore
// the unknown parameter.
void disable_implicit_rejection(EVP_PKEY_CTX* ctx) {
  unsigned int off = 0;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_uint("implicit-rejection", &off),
      OSSL_PARAM_construct_end(),
  };
  (void)EVP_PKEY_CTX_set_params(ctx, params);
  ERR_clear_error();
}

}  // namespace

// ---- RsaPublicKey ----------------------------------------------------------------------

RsaPublicKey::RsaPublicKey(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
RsaPublicKey::RsaPublicKey(RsaPublicKey&&) noexcept = default;
RsaPublicKey& RsaPublicKey::operator=(RsaPublicKey&&) noexcept = default;
RsaPublicKey::RsaPublicKey(const RsaPublicKey&) = default;
RsaPublicKey& RsaPublicKey::operator=(const RsaPublicKey&) = default;
RsaPublicKey::~RsaPublicKey() = default;

Result<RsaPublicKey> RsaPublicKey::parse(std::string_view text) {
  auto parts = split_pem(text);
  if (!parts) return invalid_public_key();
  auto der = base64_decode(parts->base64);
  if (!der.ok() || der->empty()) return invalid_public_key();
  PkeyPtr key;
  if (parts->label == "PUBLIC KEY") {
    key = d2i_spki(*der);
  } else if (parts->label == "RSA PUBLIC KEY") {
    key = d2i_pkcs1_public(*der);
  } else if (parts->label.empty()) {
    key = d2i_spki(*der);
    if (!key) key = d2i_pkcs1_public(*der);
  }
  ERR_clear_error();
  if (!acceptable_rsa(key.get())) return invalid_public_key();
  auto impl = std::make_shared<Impl>();
  impl->pkey = std::move(key);
  return RsaPublicKey(std::move(impl));
}

std::string RsaPublicKey::der_base64() const { return base64_encode(der_of_public(impl_->pkey.get())); }

bool RsaPublicKey::verify_sha1(std::string_view message, std::string_view signature_base64) const {
  auto sig = base64_decode(signature_base64);
  if (!sig.ok() || sig->empty()) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  ISSUERD_ASSERT(ctx != nullptr);
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha1(), nullptr, impl_->pkey.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    ERR_clear_error();
    return false;
  }
  const int rc = EVP_DigestVerify(ctx.get(), uchar(*sig), sig->size(),
                                  reinterpret_cast<const unsigned char*>(message.data()),
                                  message.size());
  ERR_clear_error();
  return rc == 1;
}

Result<std::string> RsaPublicKey::encrypt_pkcs1_base64(std::string_view plaintext) const {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, impl_->pkey.get(), nullptr));
  ISSUERD_ASSERT(ctx != nullptr);
  ISSUERD_ASSERT(EVP_PKEY_encrypt_init(ctx.get()) == 1);
  ISSUERD_ASSERT(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1);
  const auto max_plain = static_cast<std::size_t>(EVP_PKEY_get_size(impl_->pkey.get())) - 11;
  if (plaintext.size() > max_plain) {
    return make_error(ErrorKind::invalid_argument, "plaintext_too_long",
                      "the plaintext is too long for the RSA key");
  }
  std::size_t out_len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(plaintext.data());
  ISSUERD_ASSERT(EVP_PKEY_encrypt(ctx.get(), nullptr, &out_len, in, plaintext.size()) == 1);
  std::string out(out_len, '\0');
  if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &out_len, in,
                       plaintext.size()) != 1) {
    ERR_clear_error();
    return make_error(ErrorKind::internal, "encrypt_failed", "RSA encryption failed");
  }
  out.resize(out_len);
  return base64_encode(out);
}

// ---- RsaPrivateKey ---------------------------------------------------------------------

RsaPrivateKey::RsaPrivateKey(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
RsaPrivateKey::RsaPrivateKey(RsaPrivateKey&&) noexcept = default;
RsaPrivateKey& RsaPrivateKey::operator=(RsaPrivateKey&&) noexcept = default;
RsaPrivateKey::RsaPrivateKey(const RsaPrivateKey&) = default;
RsaPrivateKey& RsaPrivateKey::operator=(const RsaPrivateKey&) = default;
RsaPrivateKey::~RsaPrivateKey() = default;

Result<RsaPrivateKey> RsaPrivateKey::generate() {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), kGeneratedBits) != 1 ||
      EVP_PKEY_generate(ctx.get(), &raw) != 1) {
    ERR_clear_error();
    return make_error(ErrorKind::internal, "key_generation_failed", "RSA key generation failed");
  }
  auto impl = std::make_shared<Impl>();
  impl->pkey.reset(raw);
  return RsaPrivateKey(std::move(impl));
}

Result<RsaPrivateKey> RsaPrivateKey::parse(std::string_view text) {
  auto parts = split_pem(text);
  if (!parts) return invalid_private_key();
  SecretString b64(std::move(parts->base64));
  auto decoded = base64_decode(b64.get());
  if (!decoded.ok() || decoded->empty()) return invalid_private_key();
  SecretString der(std::move(decoded).value());
  PkeyPtr key;
  if (parts->label == "PRIVATE KEY") {
    key = d2i_pkcs8_private(der.get());
  } else if (parts->label == "RSA PRIVATE KEY") {
    key = d2i_pkcs1_private(der.get());
  } else if (parts->label.empty()) {
    key = d2i_pkcs8_private(der.get());
    if (!key) key = d2i_pkcs1_private(der.get());
  }
  ERR_clear_error();
  if (!acceptable_rsa(key.get())) return invalid_private_key();
  auto impl = std::make_shared<Impl>();
  impl->pkey = std::move(key);
  return RsaPrivateKey(std::move(impl));
}

std::string RsaPrivateKey::to_pem() const {
  SecretString b64(der_base64());
  std::string pem = "-----BEGIN PRIVATE KEY-----\n";
  for (std::size_t i = 0; i < b64.get().size(); i += 64) {
    pem.append(b64.get(), i, 64);
    pem.push_back('\n');
  }
  pem.append("-----END PRIVATE KEY-----\n");
  return pem;
}

std::string RsaPrivateKey::der_base64() const {
  SecretString der(der_of_private(impl_->pkey.get()));
  return base64_encode(der.get());
}

RsaPublicKey RsaPrivateKey::public_key() const {
  // Through the public parser: RsaPublicKey's constructor is private to it.
  auto key = RsaPublicKey::parse(base64_encode(der_of_public(impl_->pkey.get())));
  ISSUERD_ASSERT(key.ok());
  return std::move(key).value();
}

std::string RsaPrivateKey::sign_sha1(std::string_view message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  ISSUERD_ASSERT(ctx != nullptr);
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  ISSUERD_ASSERT(EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha1(), nullptr, impl_->pkey.get()) == 1);
  ISSUERD_ASSERT(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1);
  const auto* in = reinterpret_cast<const unsigned char*>(message.data());
  std::size_t sig_len = 0;
  ISSUERD_ASSERT(EVP_DigestSign(ctx.get(), nullptr, &sig_len, in, message.size()) == 1);
  std::string sig(sig_len, '\0');
  ISSUERD_ASSERT(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                                in, message.size()) == 1);
  sig.resize(sig_len);
  return base64_encode(sig);
}

Result<std::string> RsaPrivateKey::decrypt_pkcs1_base64(std::string_view ciphertext_base64) const {
  auto cipher = base64_decode(ciphertext_base64);
  if (!cipher.ok()) return invalid_ciphertext();
  const auto key_size = static_cast<std::size_t>(EVP_PKEY_get_size(impl_->pkey.get()));
  if (cipher->size() != key_size) return invalid_ciphertext();

  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, impl_->pkey.get(), nullptr));
  ISSUERD_ASSERT(ctx != nullptr);
  ISSUERD_ASSERT(EVP_PKEY_decrypt_init(ctx.get()) == 1);
  ISSUERD_ASSERT(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1);
  disable_implicit_rejection(ctx.get());

  SecretString out(std::string(key_size, '\0'));
  std::size_t out_len = key_size;
  const int rc = EVP_PKEY_decrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.get().data()),
                                  &out_len, uchar(*cipher), cipher->size());
  ERR_clear_error();
  if (rc != 1 || out_len > key_size) return invalid_ciphertext();
  std::string plain(out.get().data(), out_len);
  return plain;
}

}  // namespace issuerd::crypto
