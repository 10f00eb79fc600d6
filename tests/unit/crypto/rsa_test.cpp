#include "crypto/rsa.h"

#include <gtest/gtest.h>

#include "crypto/hashing.h"
#include "test_support.h"

namespace issuerd::crypto {
namespace {

using testing::shared_private_key;

std::string strip_pem(const std::string& pem) {
  std::string body;
  std::size_t pos = pem.find('\n');
  const std::size_t end = pem.find("-----END");
  for (; pos < end; ++pos) {
    if (pem[pos] != '\n') body.push_back(pem[pos]);
  }
  return body;
}

TEST(Rsa, GeneratedKeyExportsPkcs8PemAndDer) {
  const auto& key = shared_private_key();
  const std::string pem = key.to_pem();
  EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
  EXPECT_NE(pem.find("-----END PRIVATE KEY-----\n"), std::string::npos);
  EXPECT_EQ(strip_pem(pem), key.der_base64());
  // PKCS#8 DER of an RSA key starts with "MII" (SEQUENCE, long length) then "...ADANBgkqhkiG9w0BAQEF".
  EXPECT_NE(key.der_base64().find("ADANBgkqhkiG9w0BAQEF"), std::string::npos);
}

TEST(Rsa, PrivateKeyParsesFromPemAndBareBase64) {
  const auto& key = shared_private_key();
  auto from_pem = RsaPrivateKey::parse(key.to_pem());
  ASSERT_TRUE(from_pem.ok());
  EXPECT_EQ(from_pem->der_base64(), key.der_base64());
  auto from_der = RsaPrivateKey::parse(key.der_base64());
  ASSERT_TRUE(from_der.ok());
  EXPECT_EQ(from_der->der_base64(), key.der_base64());
  // PEM with CRLF line endings and surrounding white space.
  std::string crlf;
  for (char c : key.to_pem()) {
    if (c == '\n') crlf += "\r\n"; else crlf.push_back(c);
  }
  EXPECT_TRUE(RsaPrivateKey::parse("\n  " + crlf + "  \n").ok());
}

TEST(Rsa, PublicKeyParsesFromPemAndBareBase64) {
  const auto pub = shared_private_key().public_key();
  const std::string der = pub.der_base64();
  EXPECT_EQ(der.find('\n'), std::string::npos);
  EXPECT_EQ(der.rfind("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A", 0), 0u);  // 2048-bit SPKI prefix
  auto bare = RsaPublicKey::parse(der);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->der_base64(), der);
  std::string pem = "-----BEGIN PUBLIC KEY-----\n";
  for (std::size_t i = 0; i < der.size(); i += 64) pem += der.substr(i, 64) + "\n";
  pem += "-----END PUBLIC KEY-----\n";
  auto armoured = RsaPublicKey::parse(pem);
  ASSERT_TRUE(armoured.ok());
  EXPECT_EQ(armoured->der_base64(), der);
}

TEST(Rsa, ParseRejectsGarbage) {
  for (const std::string& bad :
       {std::string(""), std::string("not a key"), std::string("Zm9vYmFy"),
        std::string("-----BEGIN PUBLIC KEY-----\nZm9vYmFy\n-----END PUBLIC KEY-----\n"),
        std::string("-----BEGIN PUBLIC KEY-----\nMIIB\n"),
        std::string("-----BEGIN CERTIFICATE-----\nZm9vYmFy\n-----END CERTIFICATE-----\n")}) {
    auto pub = RsaPublicKey::parse(bad);
    ASSERT_FALSE(pub.ok()) << bad;
    EXPECT_EQ(pub.error().kind, ErrorKind::invalid_argument);
    EXPECT_EQ(pub.error().reason, "invalid_public_key");
    auto priv = RsaPrivateKey::parse(bad);
    ASSERT_FALSE(priv.ok()) << bad;
    EXPECT_EQ(priv.error().kind, ErrorKind::invalid_argument);
    EXPECT_EQ(priv.error().reason, "invalid_private_key");
  }
  // A private key is not a public key, and vice versa.
  EXPECT_FALSE(RsaPublicKey::parse(shared_private_key().der_base64()).ok());
  EXPECT_FALSE(RsaPrivateKey::parse(shared_private_key().public_key().der_base64()).ok());
  // Trailing bytes after the DER are rejected.
  auto der = base64_decode(shared_private_key().public_key().der_base64()).value();
  EXPECT_FALSE(RsaPublicKey::parse(base64_encode(der + "x")).ok());
}

TEST(Rsa, SignVerifyRoundTrip) {
  const auto& key = shared_private_key();
  const auto pub = key.public_key();
  const std::string sig = key.sign_sha1("hello world");
  EXPECT_EQ(base64_decode(sig).value().size(), 256u);
  EXPECT_TRUE(pub.verify_sha1("hello world", sig));
  EXPECT_EQ(key.sign_sha1("hello world"), sig);  // PKCS#1 v1.5 is deterministic
  EXPECT_FALSE(pub.verify_sha1("hello world!", sig));
  EXPECT_FALSE(pub.verify_sha1("hello world", ""));
  EXPECT_FALSE(pub.verify_sha1("hello world", "!!notbase64!!"));
  std::string raw = base64_decode(sig).value();
  raw[10] = static_cast<char>(raw[10] ^ 1);
  EXPECT_FALSE(pub.verify_sha1("hello world", base64_encode(raw)));
  const auto other = RsaPrivateKey::generate().value();
  EXPECT_FALSE(other.public_key().verify_sha1("hello world", sig));
}

TEST(Rsa, EncryptDecryptRoundTrip) {
  const auto& key = shared_private_key();
  const auto pub = key.public_key();
  for (const std::string& plain : {std::string("123456"), std::string(""), std::string(245, 'x'),
                                  std::string("\x00\x01\x02", 3)}) {
    auto cipher = pub.encrypt_pkcs1_base64(plain);
    ASSERT_TRUE(cipher.ok());
    auto back = key.decrypt_pkcs1_base64(*cipher);
    ASSERT_TRUE(back.ok()) << plain.size();
    EXPECT_EQ(*back, plain);
  }
  // Randomised padding: two encryptions differ.
  EXPECT_NE(pub.encrypt_pkcs1_base64("1234").value(), pub.encrypt_pkcs1_base64("1234").value());
  auto too_long = pub.encrypt_pkcs1_base64(std::string(246, 'x'));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().kind, ErrorKind::invalid_argument);
}

TEST(Rsa, DecryptRejectsGarbage) {
  const auto& key = shared_private_key();
  auto expect_invalid = [&](const std::string& input) {
    auto r = key.decrypt_pkcs1_base64(input);
    ASSERT_FALSE(r.ok()) << input;
    EXPECT_EQ(r.error().kind, ErrorKind::invalid_argument);
    EXPECT_EQ(r.error().reason, "invalid_ciphertext");
  };
  expect_invalid("");
  expect_invalid("!!!");
  expect_invalid(base64_encode("short"));
  // Right length, wrong padding: must be an error, not (implicitly rejected) random bytes.
  for (int i = 0; i < 20; ++i) {
    std::string garbage = random_bytes(256);
    garbage[0] = 0;  // keep it below the modulus
    expect_invalid(base64_encode(garbage));
  }
  // A real ciphertext with one byte flipped.
  std::string c = base64_decode(key.public_key().encrypt_pkcs1_base64("123456").value()).value();
  c[100] = static_cast<char>(c[100] ^ 0x40);
  expect_invalid(base64_encode(c));
  // Encrypted under another key.
  const auto other = RsaPrivateKey::generate().value();
  expect_invalid(other.public_key().encrypt_pkcs1_base64("123456").value());
}

TEST(Rsa, CopiesShareTheKey) {
  RsaPrivateKey copy = shared_private_key();
  EXPECT_EQ(copy.der_base64(), shared_private_key().der_base64());
  RsaPrivateKey moved = std::move(copy);
  EXPECT_TRUE(moved.public_key().verify_sha1("m", shared_private_key().sign_sha1("m")));
}

class RsaOpensslCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::openssl_cli_available()) GTEST_SKIP() << "openssl CLI not installed";
  }
  testing::TempDir dir_;
};

TEST_F(RsaOpensslCli, ParsesPkcs1PemKeysWrittenByOpenssl) {
  const std::string pkcs8 = dir_.path() + "/k8.pem";
  const std::string pkcs1 = dir_.path() + "/k1.pem";
  const std::string pub1 = dir_.path() + "/pub1.pem";
  bool ok = false;
  testing::run_command("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + pkcs8 +
                           " 2>/dev/null",
                       ok);
  ASSERT_TRUE(ok);
  testing::run_command("openssl pkey -in " + pkcs8 + " -traditional -out " + pkcs1 + " 2>/dev/null", ok);
  ASSERT_TRUE(ok);
  testing::run_command("openssl rsa -in " + pkcs8 + " -RSAPublicKey_out -out " + pub1 + " 2>/dev/null", ok);
  ASSERT_TRUE(ok);
  const std::string pkcs1_text = testing::read_file(pkcs1);
  ASSERT_NE(pkcs1_text.find("BEGIN RSA PRIVATE KEY"), std::string::npos);
  const std::string pub1_text = testing::read_file(pub1);
  ASSERT_NE(pub1_text.find("BEGIN RSA PUBLIC KEY"), std::string::npos);

  auto k8 = RsaPrivateKey::parse(testing::read_file(pkcs8));
  auto k1 = RsaPrivateKey::parse(pkcs1_text);
  auto p1 = RsaPublicKey::parse(pub1_text);
  ASSERT_TRUE(k8.ok());
  ASSERT_TRUE(k1.ok());
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(k1->der_base64(), k8->der_base64());
  EXPECT_EQ(p1->der_base64(), k8->public_key().der_base64());
  EXPECT_TRUE(p1->verify_sha1("x", k1->sign_sha1("x")));
}

TEST_F(RsaOpensslCli, DecryptsCiphertextFromOpenssl) {
  const std::string key_path = dir_.path() + "/key.pem";
  const std::string pub_path = dir_.path() + "/pub.pem";
  const std::string msg_path = dir_.path() + "/pin.txt";
  testing::write_file(key_path, shared_private_key().to_pem());
  testing::write_file(msg_path, "654321");
  bool ok = false;
  testing::run_command("openssl pkey -in " + key_path + " -pubout -out " + pub_path + " 2>/dev/null", ok);
  ASSERT_TRUE(ok);
  const std::string cipher = testing::run_command(
      "openssl pkeyutl -encrypt -pubin -inkey " + pub_path +
          " -pkeyopt rsa_padding_mode:pkcs1 -in " + msg_path + " | openssl base64 -A",
      ok);
  ASSERT_TRUE(ok);
  auto plain = shared_private_key().decrypt_pkcs1_base64(cipher);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, "654321");
}

}  // namespace
}  // namespace issuerd::crypto
