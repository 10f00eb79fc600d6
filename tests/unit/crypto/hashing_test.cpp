#include "crypto/hashing.h"

#include <gtest/gtest.h>

#include <set>

namespace issuerd::crypto {
namespace {

TEST(Hashing, Sha256KnownAnswers) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256("abc").size(), 32u);
  EXPECT_EQ(hex_encode(sha256("abc")), sha256_hex("abc"));
}

TEST(Hashing, HmacSha256Rfc4231) {
  // RFC 4231 test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 4231 test case 1.
  EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hmac_sha256("k", "d").size(), 32u);
  // RFC 4231 has no empty-key case: the HMAC-SHA256 of "" under "" (Python's hmac agrees).
  EXPECT_EQ(hmac_sha256_hex("", ""), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

// Each thread keeps one context keyed with the last key it used: switching keys, going back,
// and an empty key in between must each give that key's own MAC.
TEST(Hashing, HmacSha256SwitchesKeys) {
  const std::string jefe = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  const std::string hi = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"), jefe);
    EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"), jefe);
    EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"), hi);
    EXPECT_EQ(hmac_sha256_hex("", ""), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  }
  // A key that starts like the last one is another key.
  EXPECT_NE(hmac_sha256_hex("Jef", "what do ya want for nothing?"), jefe);
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"), jefe);
}

TEST(Hashing, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("", "a"));
}

TEST(Hashing, HexRoundTripAndErrors) {
  const std::string bytes("\x00\x01\x7f\x80\xfe\xff", 6);
  EXPECT_EQ(hex_encode(bytes), "00017f80feff");
  auto decoded = hex_decode("00017F80feFF");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, bytes);
  EXPECT_EQ(hex_decode("").value(), "");
  auto odd = hex_decode("abc");
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().kind, ErrorKind::invalid_argument);
  EXPECT_EQ(odd.error().reason, "invalid_hex");
  EXPECT_FALSE(hex_decode("zz").ok());
  EXPECT_FALSE(hex_decode("0g").ok());
  EXPECT_FALSE(hex_decode(" 00").ok());
}

TEST(Hashing, Base64KnownAnswersRfc4648) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_decode("Zm9vYmE=").value(), "fooba");
  EXPECT_EQ(base64_decode("Zm9vYmE").value(), "fooba");  // padding optional
  EXPECT_EQ(base64_decode("").value(), "");
}

TEST(Hashing, Base64RoundTripAllLengths) {
  for (std::size_t n = 0; n < 70; ++n) {
    const std::string bytes = random_bytes(n);
    auto back = base64_decode(base64_encode(bytes));
    ASSERT_TRUE(back.ok()) << n;
    EXPECT_EQ(*back, bytes) << n;
  }
}

TEST(Hashing, Base64AcceptsUrlSafeAndWhitespace) {
  const std::string bytes("\xfb\xff\xfe", 3);
  EXPECT_EQ(base64_encode(bytes), "+//+");
  EXPECT_EQ(base64_decode("-__-").value(), bytes);
  EXPECT_EQ(base64_decode("Zm9v\nYmFy\r\n").value(), "foobar");
  EXPECT_EQ(base64_decode("  Zm9v YmE= \n").value(), "fooba");
}

TEST(Hashing, Base64RejectsBadInput) {
  for (const char* bad : {"Zm9v!", "Z", "Zm9vY", "Zg===", "Zg=a", "=Zg", "Zm9v\x01", "Zh=="}) {
    auto r = base64_decode(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().kind, ErrorKind::invalid_argument);
      EXPECT_EQ(r.error().reason, "invalid_base64");
    }
  }
}

TEST(Hashing, RandomBytesAndTokens) {
  EXPECT_EQ(random_bytes(0).size(), 0u);
  EXPECT_EQ(random_bytes(32).size(), 32u);
  EXPECT_NE(random_bytes(32), random_bytes(32));
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const std::string t = random_token(24);
    EXPECT_EQ(t.size(), 32u);  // 24 bytes -> 32 unpadded Base64 chars
    EXPECT_EQ(t.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    EXPECT_TRUE(seen.insert(t).second);
  }
  EXPECT_EQ(random_token(16).size(), 22u);  // no '=' padding
  EXPECT_EQ(base64_decode(random_token(16)).value().size(), 16u);
}

}  // namespace
}  // namespace issuerd::crypto
