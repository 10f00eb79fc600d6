#include "crypto/musepay_signature.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "crypto/hashing.h"
#include "test_support.h"

namespace issuerd::crypto {
namespace {

namespace json = boost::json;
using testing::shared_private_key;

json::object parse_object(std::string_view text) { return json::parse(text).as_object(); }

TEST(MusepayCanonical, FlatBodySortedAndSignExcluded) {
  const auto body = parse_object(R"({
    "timestamp": 1700000000000, "partner_id": "P001", "sign_type": "RSA",
    "nonce": "n-1", "sign": "c2lnbmF0dXJl", "card_id": "C9"})");
  EXPECT_EQ(musepay_canonical_string(body),
            "card_id=C9&nonce=n-1&partner_id=P001&sign_type=RSA&timestamp=1700000000000");
}

TEST(MusepayCanonical, AlsoSkipLeavesOutTopLevelMembersOnly) {
  const auto body = parse_object(R"({
    "timestamp": 1700000000000, "partner_id": "P001", "nonce": "n-1", "sign": "c2ln",
    "card": {"nonce": "kept", "id": "C9"}})");
  EXPECT_EQ(musepay_canonical_string(body, {"timestamp", "nonce"}),
            R"(card={"id":"C9","nonce":"kept"}&partner_id=P001)");
  EXPECT_EQ(musepay_canonical_string(body, {}), musepay_canonical_string(body));
  EXPECT_EQ(musepay_canonical_string(body, {"absent"}), musepay_canonical_string(body));
}

TEST(MusepayCanonical, BlankValuesDroppedScalarsAsJsonText) {
  const auto body = parse_object(R"({
    "amount": "10.50", "empty": "", "spaces": " \t\n ", "nothing": null,
    "flag": true, "off": false, "neg": -3, "zero": 0, "big": 18446744073709551615,
    "ratio": 1.5, "name": "Zoë & co=1 \"q\"", "Upper": "U", "padded": " x "})");
  EXPECT_EQ(musepay_canonical_string(body),
            "Upper=U&amount=10.50&big=18446744073709551615&flag=true&name=Zoë & co=1 \"q\"&"
            "neg=-3&off=false&padded= x &ratio=1.5&zero=0");
}

TEST(MusepayCanonical, NestedObjectsAndArraysSortedRecursively) {
  const auto body = parse_object(R"({
    "sign": "x",
    "meta": {"z": 1, "a": "x", "m": null, "s": "  ",
             "b": {"y": "", "c": [3, {"k": "v", "j": null, "a": "q\"uote"}, null, ""]},
             "e": {"q": null}, "t": true},
    "list": ["b", "a"],
    "empty_obj": {},
    "empty_arr": [],
    "partner_id": "P"})");
  EXPECT_EQ(musepay_canonical_string(body),
            R"(empty_arr=[]&empty_obj={}&list=["b","a"]&)"
            R"(meta={"a":"x","b":{"c":[3,{"a":"q\"uote","k":"v"},null,""]},"e":{},"t":true,"z":1}&)"
            R"(partner_id=P)");
}

TEST(MusepayCanonical, KeysSortedByByteOrder) {
  const auto body = parse_object(R"({"b": "1", "B": "2", "a_b": "3", "aB": "4", "ab": "5", "é": "6"})");
  EXPECT_EQ(musepay_canonical_string(body), "B=2&aB=4&a_b=3&ab=5&b=1&é=6");
}

TEST(MusepayCanonical, EmptyBody) {
  EXPECT_EQ(musepay_canonical_string(json::object{}), "");
  EXPECT_EQ(musepay_canonical_string(parse_object(R"({"sign": "abc", "x": null})")), "");
}

json::object sample_body() {
  return parse_object(R"({
    "partner_id": "P001", "sign_type": "RSA", "timestamp": 1700000000000, "nonce": "abc123",
    "request_id": "r-1", "card_id": "C1", "amount": "25.00", "memo": "",
    "individual": {"first_name": "Ann", "last_name": "Lee", "middle": null}})");
}

TEST(MusepaySignature, SignThenVerify) {
  auto body = sample_body();
  const auto& key = shared_private_key();
  body["sign"] = musepay_sign(body, key);
  EXPECT_TRUE(musepay_verify(body, key.public_key()));
  // The signature is over the canonical string, so field order and blank fields do not matter.
  auto reordered = parse_object(json::serialize(body));
  reordered.erase("memo");
  reordered["extra_blank"] = "   ";
  EXPECT_TRUE(musepay_verify(reordered, key.public_key()));
  // Verifiable with a public key parsed from Base64 DER.
  auto pub = RsaPublicKey::parse(key.public_key().der_base64()).value();
  EXPECT_TRUE(musepay_verify(body, pub));
}

TEST(MusepaySignature, VerifyRejectsTamperingAndWrongKey) {
  auto body = sample_body();
  const auto& key = shared_private_key();
  body["sign"] = musepay_sign(body, key);
  const auto pub = key.public_key();

  auto tampered = body;
  tampered["amount"] = "25.01";
  EXPECT_FALSE(musepay_verify(tampered, pub));

  auto nested = body;
  nested["individual"].as_object()["first_name"] = "Bob";
  EXPECT_FALSE(musepay_verify(nested, pub));

  auto added = body;
  added["new_field"] = "1";
  EXPECT_FALSE(musepay_verify(added, pub));

  auto removed = body;
  removed.erase("card_id");
  EXPECT_FALSE(musepay_verify(removed, pub));

  auto number_as_string = body;
  number_as_string["timestamp"] = 1700000000001;
  EXPECT_FALSE(musepay_verify(number_as_string, pub));

  auto no_sign = body;
  no_sign.erase("sign");
  EXPECT_FALSE(musepay_verify(no_sign, pub));

  auto bad_sign = body;
  bad_sign["sign"] = "not base64!";
  EXPECT_FALSE(musepay_verify(bad_sign, pub));

  auto sign_not_string = body;
  sign_not_string["sign"] = 5;
  EXPECT_FALSE(musepay_verify(sign_not_string, pub));

  const auto other = RsaPrivateKey::generate().value();
  EXPECT_FALSE(musepay_verify(body, other.public_key()));
}

TEST(MusepaySignature, VerifiesSignatureMadeByOpensslCli) {
  if (!testing::openssl_cli_available()) GTEST_SKIP() << "openssl CLI not installed";
  testing::TempDir dir;
  const std::string key_path = dir.path() + "/partner.pem";
  const std::string msg_path = dir.path() + "/message.txt";
  const std::string pub_path = dir.path() + "/partner_pub.pem";
  bool ok = false;
  testing::run_command("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + key_path +
                           " 2>/dev/null",
                       ok);
  ASSERT_TRUE(ok);
  testing::run_command("openssl pkey -in " + key_path + " -pubout -out " + pub_path + " 2>/dev/null", ok);
  ASSERT_TRUE(ok);

  auto body = sample_body();
  testing::write_file(msg_path, musepay_canonical_string(body));
  const std::string sig = testing::run_command(
      "openssl dgst -sha1 -sign " + key_path + " " + msg_path + " | openssl base64 -A", ok);
  ASSERT_TRUE(ok);
  body["sign"] = sig;

  auto pub = RsaPublicKey::parse(testing::read_file(pub_path));
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(musepay_verify(body, *pub));
  // And our own signature with the same key is identical (deterministic PKCS#1 v1.5).
  auto priv = RsaPrivateKey::parse(testing::read_file(key_path));
  ASSERT_TRUE(priv.ok());
  EXPECT_EQ(musepay_sign(body, *priv), sig);
  body["amount"] = "0.01";
  EXPECT_FALSE(musepay_verify(body, *pub));
}

}  // namespace
}  // namespace issuerd::crypto
