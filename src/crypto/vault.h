// Card data protection: the PAN vault (AES-256-GCM), PAN lookup hash, masking, CVV2 and
// ISO 9564 PIN blocks.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace issuerd::crypto {

// AES-256-GCM with a random 96-bit nonce. Output: Base64(nonce | ciphertext | tag).
// `associated_data` is authenticated, not encrypted (e.g. the card id, binding a PAN to it).
std::string aes_gcm_seal(std::string_view key32, std::string_view plaintext,
                         std::string_view associated_data);
// invalid_argument, reason "decrypt_failed", when the tag does not verify.
Result<std::string> aes_gcm_open(std::string_view key32, std::string_view sealed_base64,
                                 std::string_view associated_data);

// Keyed lookup hash of a PAN: hex HMAC-SHA256(hmac_key, pan).
std::string pan_lookup_hash(std::string_view hmac_key, std::string_view pan);
// "BIN******last4" display form: first 6 digits, stars, last 4. Shorter input is all stars.
std::string mask_pan(std::string_view pan);
// Luhn check digit for the digits given; and whether a full number passes Luhn.
char luhn_check_digit(std::string_view digits_without_check);
bool luhn_valid(std::string_view pan);

// Visa CVV method: 3 digits from PAN, expiry "YYMM" and service code under the 16-byte
// CVK pair. Known answer (VENDOR-NOTES.md): CVK 0123456789ABCDEFFEDCBA9876543210,
// PAN 1234567890123456, expiry 9912, service code 220 -> "170". CVV2 uses code "000".
std::string compute_cvv(std::string_view cvk16, std::string_view pan,
                        std::string_view expiry_yymm, std::string_view service_code);

// ISO 9564 format 0 PIN block as 16 uppercase hex chars. Known answer: PIN 1234,
// PAN 5544332211009966 -> 041277CDDEEFF669. Requires a 4-12 digit PIN and a PAN of
// at least 13 digits (invalid_argument otherwise).
Result<std::string> iso0_pin_block(std::string_view pin, std::string_view pan);

}  // namespace issuerd::crypto
