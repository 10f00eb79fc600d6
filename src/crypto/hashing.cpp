#include "crypto/hashing.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "common/assert.h"

namespace issuerd::crypto {

namespace {

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kBase64UrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64_with(std::string_view bytes, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto* p = bytes_of(bytes);
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | p[i + 2];
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(alphabet[(n >> 6) & 63]);
    out.push_back(alphabet[n & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t n = std::uint32_t{p[i]} << 16;
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    if (pad) out.append("==");
  } else if (rest == 2) {
    const std::uint32_t n = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8);
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    out.push_back(alphabet[(n >> 6) & 63]);
    if (pad) out.push_back('=');
  }
  return out;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

Error bad_base64() {
  return make_error(ErrorKind::invalid_argument, "invalid_base64", "the value is not valid Base64");
}

}  // namespace

std::string random_bytes(std::size_t count) {
  std::string out(count, '\0');
  if (count == 0) return out;
  ISSUERD_ASSERT(count <= static_cast<std::size_t>(std::numeric_limits<int>::max()));
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    std::fprintf(stderr, "issuerd: RAND_bytes failed\n");
    std::abort();
  }
  return out;
}

std::string random_token(std::size_t bytes) {
  std::string raw = random_bytes(bytes);
  std::string token = base64_with(raw, kBase64UrlAlphabet, false);
  OPENSSL_cleanse(raw.data(), raw.size());
  return token;
}

namespace {

// OpenSSL 3 looks an algorithm up by name ("fetches" it, under a lock) on every call that
// is given EVP_sha256() or goes through HMAC(); fetched once here, they are not. Each
// request hashes its body, keys that hash and hashes its api key: the lookups cost more
// than the hashing (perf on engine_benchmark's request thread).
const EVP_MD* sha256_algorithm() {
  static EVP_MD* const algorithm = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  ISSUERD_ASSERT(algorithm != nullptr);
  return algorithm;
}

// A thread's HMAC-SHA256 context, keyed with the key it last used: the server MACs with one
// platform key almost always, and re-initialising with the same key only resets the state.
class KeyedHmac {
 public:
  KeyedHmac() : context_(EVP_MAC_CTX_new(algorithm())) { ISSUERD_ASSERT(context_ != nullptr); }
  ~KeyedHmac() {
    EVP_MAC_CTX_free(context_);
    OPENSSL_cleanse(key_.data(), key_.size());
  }
  KeyedHmac(const KeyedHmac&) = delete;
  KeyedHmac& operator=(const KeyedHmac&) = delete;

  std::string mac(std::string_view key, std::string_view data) {
    if (!keyed_ || !constant_time_equal(key, key_)) {
      // OpenSSL needs a non-null pointer for an empty key.
      static const unsigned char kEmpty = 0;
      char digest_name[] = "SHA256";
      const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0), OSSL_PARAM_END};
      ISSUERD_ASSERT(EVP_MAC_init(context_, key.empty() ? &kEmpty : bytes_of(key), key.size(), params) == 1);
      OPENSSL_cleanse(key_.data(), key_.size());  // the key it replaces is a secret too
      key_.assign(key);
      keyed_ = true;
    } else {
      ISSUERD_ASSERT(EVP_MAC_init(context_, nullptr, 0, nullptr) == 1);
    }
    ISSUERD_ASSERT(EVP_MAC_update(context_, bytes_of(data), data.size()) == 1);
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    std::size_t length = 0;
    ISSUERD_ASSERT(EVP_MAC_final(context_, out.data(), &length, out.size()) == 1);
    return std::string(reinterpret_cast<const char*>(out.data()), length);
  }

 private:
  static EVP_MAC* algorithm() {
    static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    ISSUERD_ASSERT(hmac != nullptr);
    return hmac;
  }

  EVP_MAC_CTX* context_;
  bool keyed_ = false;
  std::string key_;
};

}  // namespace

std::string sha256(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  ISSUERD_ASSERT(EVP_Digest(data.data(), data.size(), md.data(), &len, sha256_algorithm(), nullptr) == 1);
  return std::string(reinterpret_cast<const char*>(md.data()), len);
}

std::string sha256_hex(std::string_view data) { return hex_encode(sha256(data)); }

std::string hmac_sha256(std::string_view key, std::string_view data) {
  thread_local KeyedHmac hmac;
  return hmac.mac(key, data);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  return hex_encode(hmac_sha256(key, data));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hex_encode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[c >> 4];
    out[2 * i + 1] = kDigits[c & 15];
  }
  return out;
}

Result<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return make_error(ErrorKind::invalid_argument, "invalid_hex", "hex text has an odd length");
  }
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_value(hex[i]);
    const int lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      OPENSSL_cleanse(out.data(), out.size());
      return make_error(ErrorKind::invalid_argument, "invalid_hex", "the value is not valid hex");
    }
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

std::string base64_encode(std::string_view bytes) { return base64_with(bytes, kBase64Alphabet, true); }

Result<std::string> base64_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3 + 3);
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t symbols = 0;  // data symbols seen
  std::size_t padding = 0;
  for (char c : text) {
    if (is_space(c)) continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) return bad_base64();  // data after padding
    const int v = base64_value(c);
    if (v < 0) return bad_base64();
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    ++symbols;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  const std::size_t rem = symbols % 4;
  if (rem == 1) return bad_base64();
  if (padding > 0 && (padding > 2 || (symbols + padding) % 4 != 0)) return bad_base64();
  // The unused low bits of the last symbol must be zero (canonical encoding).
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return bad_base64();
  return out;
}

}  // namespace issuerd::crypto
