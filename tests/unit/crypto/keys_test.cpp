#include "crypto/keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "crypto/hashing.h"
#include "test_support.h"

namespace issuerd::crypto {
namespace {

namespace fs = std::filesystem;

unsigned mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

const char* const kFiles[] = {"platform_rsa.pem", "pan.key", "hmac.key", "pin.key", "cvk.key"};

TEST(PlatformKeys, CreatesPrivateFilesAndReloadsIdentically) {
  testing::TempDir tmp;
  const std::string dir = tmp.path() + "/nested/keys";
  auto first = load_or_create_platform_keys(dir);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(tmp.path() + "/nested"), 0700u);
  for (const char* name : kFiles) {
    EXPECT_EQ(mode_of(dir + "/" + name), 0600u) << name;
  }
  // Only the five key files remain (no temporary files).
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++count;
  EXPECT_EQ(count, 5u);

  EXPECT_EQ(first->pan_key.size(), 32u);
  EXPECT_EQ(first->hmac_key.size(), 32u);
  EXPECT_EQ(first->pin_key.size(), 32u);
  EXPECT_EQ(first->cvk.size(), 16u);
  EXPECT_NE(first->pan_key, first->hmac_key);
  EXPECT_NE(first->pan_key, first->pin_key);

  // The symmetric files hold hex.
  EXPECT_EQ(testing::read_file(dir + "/pan.key"), hex_encode(first->pan_key) + "\n");
  EXPECT_EQ(testing::read_file(dir + "/cvk.key"), hex_encode(first->cvk) + "\n");
  EXPECT_EQ(testing::read_file(dir + "/platform_rsa.pem"), first->platform_rsa.to_pem());

  auto second = load_or_create_platform_keys(dir);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->pan_key, first->pan_key);
  EXPECT_EQ(second->hmac_key, first->hmac_key);
  EXPECT_EQ(second->pin_key, first->pin_key);
  EXPECT_EQ(second->cvk, first->cvk);
  EXPECT_EQ(second->platform_rsa.der_base64(), first->platform_rsa.der_base64());
}

TEST(PlatformKeys, UsesOperatorSuppliedKeys) {
  testing::TempDir tmp;
  const std::string dir = tmp.path();
  const auto& rsa = testing::shared_private_key();
  testing::write_file(dir + "/platform_rsa.pem", rsa.to_pem());
  testing::write_file(dir + "/cvk.key", "0123456789ABCDEFFEDCBA9876543210\n");
  testing::write_file(dir + "/pan.key", std::string(64, 'a'));  // no newline, lowercase
  ::chmod((dir + "/pan.key").c_str(), 0644);
  ::chmod(dir.c_str(), 0755);
  auto keys = load_or_create_platform_keys(dir);
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_EQ(keys->platform_rsa.der_base64(), rsa.der_base64());
  EXPECT_EQ(hex_encode(keys->cvk), "0123456789abcdeffedcba9876543210");
  EXPECT_EQ(keys->pan_key, std::string(32, '\xaa'));
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(dir + "/pan.key"), 0600u);  // tightened
  EXPECT_EQ(mode_of(dir + "/hmac.key"), 0600u);  // created
}

TEST(PlatformKeys, CorruptFilesAreErrorsAndNotReplaced) {
  const std::vector<std::pair<std::string, std::string>> corruptions = {
      {"pan.key", "nothex" + std::string(58, '0')},
      {"pan.key", std::string(62, '0')},
      {"hmac.key", std::string(66, '0')},
      {"pin.key", ""},
      {"cvk.key", std::string(64, '0')},  // right hex, wrong length for a CVK
      {"platform_rsa.pem", "-----BEGIN PRIVATE KEY-----\nZm9vYmFy\n-----END PRIVATE KEY-----\n"},
      {"platform_rsa.pem", ""},
  };
  for (const auto& [name, contents] : corruptions) {
    testing::TempDir tmp;
    ASSERT_TRUE(load_or_create_platform_keys(tmp.path()).ok());
    const std::string path = tmp.path() + "/" + name;
    testing::write_file(path, contents);
    auto keys = load_or_create_platform_keys(tmp.path());
    ASSERT_FALSE(keys.ok()) << name;
    EXPECT_EQ(keys.error().kind, ErrorKind::internal);
    EXPECT_EQ(keys.error().reason, "key_file_malformed");
    EXPECT_NE(keys.error().message.find(name), std::string::npos);
    EXPECT_EQ(testing::read_file(path), contents) << name;  // never silently replaced
  }
}

TEST(PlatformKeys, DirectoryThatIsAFileIsAnError) {
  testing::TempDir tmp;
  const std::string file = tmp.path() + "/file";
  testing::write_file(file, "x");
  auto keys = load_or_create_platform_keys(file);
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.error().kind, ErrorKind::internal);
  EXPECT_FALSE(load_or_create_platform_keys(file + "/sub").ok());
  EXPECT_FALSE(load_or_create_platform_keys("").ok());
}

}  // namespace
}  // namespace issuerd::crypto
