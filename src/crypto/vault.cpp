#include "crypto/vault.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <limits>

#include "common/assert.h"
#include "crypto/hashing.h"
#include "crypto/openssl_util.h"

namespace issuerd::crypto {

using detail::CipherCtxPtr;
using detail::SecretString;

namespace {

constexpr std::size_t kGcmNonce = 12;
constexpr std::size_t kGcmTag = 16;

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int as_int(std::size_t n) {
  ISSUERD_ASSERT(n <= static_cast<std::size_t>(std::numeric_limits<int>::max()));
  return static_cast<int>(n);
}

unsigned char* ubytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }
const unsigned char* ubytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// One 8-byte block through DES-EDE (two-key 3DES, K1|K2|K1) in ECB, no padding.
std::array<unsigned char, 8> des_ede_block(const unsigned char key16[16], const unsigned char in[8]) {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  ISSUERD_ASSERT(ctx != nullptr);
  ISSUERD_ASSERT(EVP_EncryptInit_ex2(ctx.get(), EVP_des_ede_ecb(), key16, nullptr, nullptr) == 1);
  ISSUERD_ASSERT(EVP_CIPHER_CTX_set_padding(ctx.get(), 0) == 1);
  std::array<unsigned char, 8> out{};
  int len = 0;
  ISSUERD_ASSERT(EVP_EncryptUpdate(ctx.get(), out.data(), &len, in, 8) == 1 && len == 8);
  int final_len = 0;
  ISSUERD_ASSERT(EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &final_len) == 1 && final_len == 0);
  return out;
}

Error decrypt_failed() {
  return make_error(ErrorKind::invalid_argument, "decrypt_failed", "the sealed value could not be opened");
}

}  // namespace

std::string aes_gcm_seal(std::string_view key32, std::string_view plaintext,
                         std::string_view associated_data) {
  ISSUERD_ASSERT(key32.size() == 32);
  const std::string nonce = random_bytes(kGcmNonce);
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  ISSUERD_ASSERT(ctx != nullptr);
  ISSUERD_ASSERT(EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), ubytes(key32),
                                     ubytes(std::string_view(nonce)), nullptr) == 1);
  int len = 0;
  if (!associated_data.empty()) {
    ISSUERD_ASSERT(EVP_EncryptUpdate(ctx.get(), nullptr, &len, ubytes(associated_data),
                                     as_int(associated_data.size())) == 1);
  }
  std::string out(kGcmNonce + plaintext.size() + kGcmTag, '\0');
  out.replace(0, kGcmNonce, nonce);
  unsigned char* ct = ubytes(out) + kGcmNonce;
  int ct_len = 0;
  if (!plaintext.empty()) {
    ISSUERD_ASSERT(EVP_EncryptUpdate(ctx.get(), ct, &len, ubytes(plaintext),
                                     as_int(plaintext.size())) == 1);
    ct_len = len;
  }
  ISSUERD_ASSERT(EVP_EncryptFinal_ex(ctx.get(), ct + ct_len, &len) == 1);
  ct_len += len;
  ISSUERD_ASSERT(static_cast<std::size_t>(ct_len) == plaintext.size());
  ISSUERD_ASSERT(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTag),
                                     ct + ct_len) == 1);
  return base64_encode(out);
}

Result<std::string> aes_gcm_open(std::string_view key32, std::string_view sealed_base64,
                                 std::string_view associated_data) {
  ISSUERD_ASSERT(key32.size() == 32);
  auto sealed = base64_decode(sealed_base64);
  if (!sealed.ok() || sealed->size() < kGcmNonce + kGcmTag) return decrypt_failed();
  const std::string& in = *sealed;
  const std::size_t ct_size = in.size() - kGcmNonce - kGcmTag;
  const auto* nonce = reinterpret_cast<const unsigned char*>(in.data());
  const unsigned char* ct = nonce + kGcmNonce;
  std::array<unsigned char, kGcmTag> tag{};
  std::copy_n(ct + ct_size, kGcmTag, tag.begin());

  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  ISSUERD_ASSERT(ctx != nullptr);
  ISSUERD_ASSERT(EVP_DecryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), ubytes(key32), nonce, nullptr) == 1);
  int len = 0;
  if (!associated_data.empty()) {
    ISSUERD_ASSERT(EVP_DecryptUpdate(ctx.get(), nullptr, &len, ubytes(associated_data),
                                     as_int(associated_data.size())) == 1);
  }
  SecretString plain(std::string(ct_size, '\0'));
  int pt_len = 0;
  if (ct_size > 0) {
    ISSUERD_ASSERT(EVP_DecryptUpdate(ctx.get(), ubytes(plain.get()), &len, ct, as_int(ct_size)) == 1);
    pt_len = len;
  }
  ISSUERD_ASSERT(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTag),
                                     tag.data()) == 1);
  if (EVP_DecryptFinal_ex(ctx.get(), ubytes(plain.get()) + pt_len, &len) != 1) {
    return decrypt_failed();
  }
  pt_len += len;
  std::string result(plain.get().data(), static_cast<std::size_t>(pt_len));
  return result;
}

std::string pan_lookup_hash(std::string_view hmac_key, std::string_view pan) {
  return hmac_sha256_hex(hmac_key, pan);
}

std::string mask_pan(std::string_view pan) {
  // Below 13 characters (the shortest PAN) first 6 + last 4 would reveal too much.
  if (pan.size() < 13) return std::string(pan.size(), '*');
  std::string out(pan.size(), '*');
  out.replace(0, 6, pan.substr(0, 6));
  out.replace(pan.size() - 4, 4, pan.substr(pan.size() - 4));
  return out;
}

char luhn_check_digit(std::string_view digits_without_check) {
  if (digits_without_check.empty() || !all_digits(digits_without_check)) return '\0';
  // Walking from the right, the digit next to the (future) check digit is doubled.
  int sum = 0;
  bool doubled = true;
  for (auto it = digits_without_check.rbegin(); it != digits_without_check.rend(); ++it) {
    int d = *it - '0';
    if (doubled) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    doubled = !doubled;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

bool luhn_valid(std::string_view pan) {
  if (pan.size() < 2 || !all_digits(pan)) return false;
  return luhn_check_digit(pan.substr(0, pan.size() - 1)) == pan.back();
}

std::string compute_cvv(std::string_view cvk16, std::string_view pan, std::string_view expiry_yymm,
                        std::string_view service_code) {
  ISSUERD_ASSERT(cvk16.size() == 16);
  ISSUERD_ASSERT(pan.size() >= 12 && pan.size() <= 19 && all_digits(pan));
  ISSUERD_ASSERT(expiry_yymm.size() == 4 && all_digits(expiry_yymm));
  ISSUERD_ASSERT(service_code.size() == 3 && all_digits(service_code));

  // PAN | YYMM | service code, right-padded with zeros to 32 hex digits = two 8-byte blocks.
  std::string digits;
  digits.reserve(32);
  digits.append(pan).append(expiry_yymm).append(service_code);
  digits.resize(32, '0');
  std::array<unsigned char, 16> data{};
  for (std::size_t i = 0; i < 16; ++i) {
    data[i] = static_cast<unsigned char>(((digits[2 * i] - '0') << 4) | (digits[2 * i + 1] - '0'));
  }

  const auto* cvk = ubytes(cvk16);
  // Single DES under key A is DES-EDE with A|A (E_A(D_A(E_A(x))) = E_A(x)).
  std::array<unsigned char, 16> key_aa{};
  std::copy_n(cvk, 8, key_aa.begin());
  std::copy_n(cvk, 8, key_aa.begin() + 8);
  auto block = des_ede_block(key_aa.data(), data.data());
  OPENSSL_cleanse(key_aa.data(), key_aa.size());
  for (std::size_t i = 0; i < 8; ++i) block[i] ^= data[8 + i];
  const auto result = des_ede_block(cvk, block.data());

  const std::string hex = hex_encode(std::string_view(reinterpret_cast<const char*>(result.data()), 8));
  std::string cvv;
  for (char c : hex) {
    if (cvv.size() == 3) break;
    if (c >= '0' && c <= '9') cvv.push_back(c);
  }
  for (char c : hex) {
    if (cvv.size() == 3) break;
    if (c >= 'a' && c <= 'f') cvv.push_back(static_cast<char>('0' + (c - 'a')));
  }
  OPENSSL_cleanse(data.data(), data.size());
  OPENSSL_cleanse(digits.data(), digits.size());
  return cvv;
}

Result<std::string> iso0_pin_block(std::string_view pin, std::string_view pan) {
  if (pin.size() < 4 || pin.size() > 12 || !all_digits(pin)) {
    return make_error(ErrorKind::invalid_argument, "invalid_pin", "the PIN must be 4 to 12 digits", "pin");
  }
  if (pan.size() < 13 || pan.size() > 19 || !all_digits(pan)) {
    return make_error(ErrorKind::invalid_argument, "invalid_pan", "the card number must be 13 to 19 digits",
                      "pan");
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  // PIN field: 0 | length | PIN | F padding.  PAN field: 0000 | 12 rightmost digits
  // excluding the check digit.
  SecretString pin_field(std::string("0") + kHex[pin.size()]);
  pin_field.get().append(pin);
  pin_field.get().resize(16, 'F');
  std::string pan_field = "0000";
  pan_field.append(pan.substr(pan.size() - 13, 12));

  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'A' + 10; };
  std::string block(16, '0');
  for (std::size_t i = 0; i < 16; ++i) {
    block[i] = kHex[nibble(pin_field.get()[i]) ^ nibble(pan_field[i])];
  }
  return block;
}

}  // namespace issuerd::crypto
