// Hashes, MACs, randomness and encodings, all from OpenSSL 3.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace issuerd::crypto {

// Cryptographically secure random bytes (RAND_bytes). Aborts if the RNG fails.
std::string random_bytes(std::size_t count);
// A random token of `bytes` random bytes, encoded as unpadded Base64url.
std::string random_token(std::size_t bytes);

std::string sha256(std::string_view data);                        // 32 raw bytes
std::string sha256_hex(std::string_view data);                    // 64 lowercase hex chars
std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// Constant-time comparison of two byte strings (CRYPTO_memcmp); different lengths are unequal.
bool constant_time_equal(std::string_view a, std::string_view b);

std::string hex_encode(std::string_view bytes);                   // lowercase
Result<std::string> hex_decode(std::string_view hex);             // either case
std::string base64_encode(std::string_view bytes);                // standard, padded
// Standard or url-safe alphabet, padding optional, whitespace (PEM line breaks) ignored.
Result<std::string> base64_decode(std::string_view text);

}  // namespace issuerd::crypto
