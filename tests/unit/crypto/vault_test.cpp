#include "crypto/vault.h"

#include <gtest/gtest.h>

#include "crypto/hashing.h"

namespace issuerd::crypto {
namespace {

std::string unhex(std::string_view hex) { return hex_decode(hex).value(); }

TEST(Vault, CvvKnownAnswer) {
  const std::string cvk = unhex("0123456789ABCDEFFEDCBA9876543210");
  EXPECT_EQ(compute_cvv(cvk, "1234567890123456", "9912", "220"), "170");
}

TEST(Vault, CvvDependsOnEveryInput) {
  const std::string cvk = unhex("0123456789ABCDEFFEDCBA9876543210");
  const std::string base = compute_cvv(cvk, "4123456789012345", "8701", "101");
  EXPECT_EQ(base, "561");  // published Visa CVV test vector (CVK A/B above)
  const std::string cvv2 = compute_cvv(cvk, "4123456789012345", "8701", "000");
  EXPECT_EQ(cvv2.size(), 3u);
  EXPECT_EQ(cvv2.find_first_not_of("0123456789"), std::string::npos);
  EXPECT_EQ(compute_cvv(cvk, "4123456789012345", "8701", "000"), cvv2);
  const std::string other = unhex("FEDCBA98765432100123456789ABCDEF");
  EXPECT_NE(compute_cvv(other, "1234567890123456", "9912", "220"), "170");
}

TEST(Vault, PinBlockIso0KnownAnswer) {
  auto block = iso0_pin_block("1234", "5544332211009966");
  ASSERT_TRUE(block.ok());
  EXPECT_EQ(*block, "041277CDDEEFF669");
  // Classic example: PIN 1234, PAN 4111111111111111 -> 041234FFFFFFFFFF ^ 0000111111111111.
  EXPECT_EQ(iso0_pin_block("1234", "4111111111111111").value(), "041225EEEEEEEEEE");
}

TEST(Vault, PinBlockComputedByHand) {
  // PIN field 06123456FFFFFFFF, PAN field 0000 + "789012345678" (12 digits left of the check digit).
  const std::string pin_field = "06123456FFFFFFFF";
  const std::string pan_field = "0000789012345678";
  std::string expected;
  for (std::size_t i = 0; i < 16; ++i) {
    auto v = [](char c) { return c <= '9' ? c - '0' : c - 'A' + 10; };
    expected.push_back("0123456789ABCDEF"[v(pin_field[i]) ^ v(pan_field[i])]);
  }
  EXPECT_EQ(expected, "06124CC6EDCBA987");
  EXPECT_EQ(iso0_pin_block("123456", "1234567890123456789").value(), expected);
}

TEST(Vault, PinBlockRejectsBadInput) {
  for (const auto& [pin, pan] : std::vector<std::pair<std::string, std::string>>{
           {"123", "5544332211009966"},
           {"1234567890123", "5544332211009966"},
           {"12a4", "5544332211009966"},
           {"", "5544332211009966"},
           {"1234", "554433221100"},
           {"1234", "55443322110099x6"},
           {"1234", "55443322110099661234"}}) {
    auto r = iso0_pin_block(pin, pan);
    ASSERT_FALSE(r.ok()) << pin << " " << pan;
    EXPECT_EQ(r.error().kind, ErrorKind::invalid_argument);
    EXPECT_EQ(r.error().message.find(pin.empty() ? "\x01" : pin), std::string::npos);
  }
  EXPECT_TRUE(iso0_pin_block("123456789012", "5544332211009").ok());
}

TEST(Vault, Luhn) {
  EXPECT_TRUE(luhn_valid("4242424242424242"));
  EXPECT_TRUE(luhn_valid("79927398713"));
  EXPECT_TRUE(luhn_valid("4111111111111111"));
  EXPECT_TRUE(luhn_valid("5555555555554444"));
  EXPECT_TRUE(luhn_valid("378282246310005"));
  EXPECT_FALSE(luhn_valid("4242424242424241"));
  EXPECT_FALSE(luhn_valid("79927398710"));
  EXPECT_FALSE(luhn_valid("4242 4242 4242 4242"));
  EXPECT_FALSE(luhn_valid(""));
  EXPECT_FALSE(luhn_valid("0"));
  EXPECT_EQ(luhn_check_digit("7992739871"), '3');
  EXPECT_EQ(luhn_check_digit("424242424242424"), '2');
  EXPECT_EQ(luhn_check_digit("411111111111111"), '1');
  EXPECT_EQ(luhn_check_digit("37828224631000"), '5');
  EXPECT_EQ(luhn_check_digit("12a"), '\0');
  for (std::string prefix : {"400000", "5311110000", "62220000000000000"}) {
    EXPECT_TRUE(luhn_valid(prefix + luhn_check_digit(prefix))) << prefix;
  }
}

TEST(Vault, MaskPan) {
  EXPECT_EQ(mask_pan("4242424242424242"), "424242******4242");
  EXPECT_EQ(mask_pan("378282246310005"), "378282*****0005");
  EXPECT_EQ(mask_pan("1234567890123456789"), "123456*********6789");
  EXPECT_EQ(mask_pan("1234567890123"), "123456***0123");
  EXPECT_EQ(mask_pan("1234567890"), "**********");
  EXPECT_EQ(mask_pan("123"), "***");
  EXPECT_EQ(mask_pan(""), "");
}

TEST(Vault, PanLookupHash) {
  const std::string key(32, 'k');
  EXPECT_EQ(pan_lookup_hash(key, "4242424242424242"), hmac_sha256_hex(key, "4242424242424242"));
  EXPECT_EQ(pan_lookup_hash(key, "4242424242424242").size(), 64u);
  EXPECT_NE(pan_lookup_hash(key, "4242424242424242"), pan_lookup_hash(std::string(32, 'j'), "4242424242424242"));
}

TEST(Vault, AesGcmRoundTrip) {
  const std::string key = random_bytes(32);
  for (const std::string& plain : {std::string("4242424242424242"), std::string(""), std::string(1000, 'z')}) {
    const std::string sealed = aes_gcm_seal(key, plain, "card_1");
    EXPECT_EQ(base64_decode(sealed).value().size(), 12 + plain.size() + 16);
    auto opened = aes_gcm_open(key, sealed, "card_1");
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(*opened, plain);
  }
  // Empty associated data works too, and nonces are fresh.
  const std::string a = aes_gcm_seal(key, "pan", "");
  EXPECT_EQ(aes_gcm_open(key, a, "").value(), "pan");
  EXPECT_NE(aes_gcm_seal(key, "pan", ""), a);
}

TEST(Vault, AesGcmRejectsTamperWrongAadAndWrongKey) {
  const std::string key = random_bytes(32);
  const std::string sealed = aes_gcm_seal(key, "4242424242424242", "card_1");
  auto expect_fail = [](const Result<std::string>& r) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::invalid_argument);
    EXPECT_EQ(r.error().reason, "decrypt_failed");
  };
  expect_fail(aes_gcm_open(key, sealed, "card_2"));
  expect_fail(aes_gcm_open(key, sealed, ""));
  expect_fail(aes_gcm_open(random_bytes(32), sealed, "card_1"));
  const std::string raw = base64_decode(sealed).value();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    std::string t = raw;
    t[i] = static_cast<char>(t[i] ^ 0x01);
    expect_fail(aes_gcm_open(key, base64_encode(t), "card_1"));
  }
  expect_fail(aes_gcm_open(key, base64_encode(raw.substr(0, raw.size() - 1)), "card_1"));
  expect_fail(aes_gcm_open(key, base64_encode(raw.substr(0, 27)), "card_1"));
  expect_fail(aes_gcm_open(key, "%%%", "card_1"));
  expect_fail(aes_gcm_open(key, "", "card_1"));
}

}  // namespace
}  // namespace issuerd::crypto
