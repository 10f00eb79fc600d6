// The platform's keys, created on first start into the key directory (files mode 0600,
// folder 0700) or supplied there by the operator. Never committed, never logged.
#pragma once

#include <string>

#include "common/result.h"
#include "crypto/rsa.h"

namespace issuerd::crypto {

struct PlatformKeys {
  RsaPrivateKey platform_rsa;  // platform_rsa.pem: signs callbacks, decrypts PINs
  std::string pan_key;         // pan.key: 32 raw bytes, AES-256-GCM for the PAN vault
  std::string hmac_key;        // hmac.key: 32 raw bytes, HMAC-SHA256 for PAN lookup and tokens
  std::string cvk;             // cvk.key: 16 raw bytes, a 3DES key pair (CVK A | CVK B)
  std::string pin_key;         // pin.key: 32 raw bytes, AES-256-GCM for stored PIN blocks
};

// Loads every key from `directory`, creating the folder and any missing key. The
// symmetric key files hold hex text. Fails (internal) if a file exists but is malformed
// or if the directory cannot be made private.
Result<PlatformKeys> load_or_create_platform_keys(const std::string& directory);

}  // namespace issuerd::crypto
