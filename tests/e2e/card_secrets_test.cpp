// A card's secrets over real HTTP on both databases: the one-time sensitive-info link
// (PAN, expiry, CVV2 once, only from the named client address, only for 5 minutes), the
// PIN (RSA-encrypted in, a sealed ISO-0 block at rest), and a scan of the log and of the
// database's bytes for the PAN and the PIN afterwards.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/clock.h"
#include "crypto/keys.h"
#include "crypto/rsa.h"
#include "crypto/vault.h"
#include "scan_support.h"
#include "e2e_support.h"
#include "musepay_client.h"
#include "storage/store.h"

namespace issuerd::e2e {
namespace {

constexpr const char* test_pin = "864209";

// A raw HTTP/1.1 GET from a chosen loopback source address (127.0.0.2 is loopback too on
// Linux, but the server sees another client). Returns the whole response, "" on failure.
std::string get_from(const std::string& source_ip, std::uint16_t port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in source{};
  source.sin_family = AF_INET;
  ::inet_pton(AF_INET, source_ip.c_str(), &source.sin_addr);
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
  std::string response;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof source) == 0 &&
      ::connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) == 0) {
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) response.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return response;
}

int status_of(const std::string& raw_response) {
  // "HTTP/1.1 403 Forbidden"
  if (raw_response.size() < 12 || !raw_response.starts_with("HTTP/1.1 ")) return 0;
  return std::stoi(raw_response.substr(9, 3));
}

std::string body_of(const std::string& raw_response) {
  const auto end_of_headers = raw_response.find("\r\n\r\n");
  return end_of_headers == std::string::npos ? std::string() : raw_response.substr(end_of_headers + 4);
}

// "http://host:port/v1/..." -> "/v1/..."
std::string path_of(const std::string& url) {
  const auto scheme = url.find("://");
  const auto path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return path == std::string::npos ? std::string() : url.substr(path);
}

class CardSecretsTest : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    Reply merchant = admin("POST", "/admin/v1/merchants", bj::serialize(bj::object{{"name", "Secrets"}}));
    ASSERT_EQ(merchant.status, 201) << merchant.body;
    platform_public_key_ = merchant.text("platform_public_key");
    musepay_ = std::make_unique<MusePayClient>(*this, merchant.text("merchant_id"), merchant.text("api_key"));
    const std::string product_id = create_product();
    user_id_ = musepay_->create_holder("secrets-holder");
    card_id_ = musepay_->issue_card(user_id_, product_id);
    ASSERT_FALSE(card_id_.empty());
    auto keys = crypto::load_or_create_platform_keys(server_->key_dir());
    ASSERT_TRUE(keys.ok());
    keys_ = std::make_unique<crypto::PlatformKeys>(std::move(keys).value());
  }

  bj::object ids() const { return bj::object{{"card_id", card_id_}, {"user_id", user_id_}}; }

  Reply request_link(const std::string& ip_address) {
    bj::object body = ids();
    body["ip_address"] = ip_address;
    return musepay_->call("/v1/card/card-sensitive-info", body);
  }

  // A fresh link's path for the given client address.
  std::string link_path(const std::string& ip_address = "127.0.0.1") {
    Reply reply = request_link(ip_address);
    EXPECT_EQ(reply.status, 200) << reply.body;
    if (reply.status != 200) return {};
    return path_of(std::string(reply["data"].at("url").as_string()));
  }

  Reply change_pin(const std::string& card_pin) {
    bj::object body = ids();
    body["card_pin"] = card_pin;
    return musepay_->call("/v1/card/change-pin", body);
  }

  std::string encrypted(const std::string& pin) {
    auto key = crypto::RsaPublicKey::parse(platform_public_key_);
    EXPECT_TRUE(key.ok());
    auto ciphertext = key->encrypt_pkcs1_base64(pin);
    EXPECT_TRUE(ciphertext.ok());
    return *ciphertext;
  }

  std::string full_pan() {
    Reply reply = call("GET", link_path());
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply.status == 200 ? reply.text("card_number") : std::string();
  }

  // Every byte the database holds: SQLite's files, or the text of every PostgreSQL row.
  std::string database_contents() {
    std::string all;
    if (database_->dialect() == storage::Dialect::sqlite) {
      for (const auto& entry : std::filesystem::directory_iterator(database_->directory())) {
        if (entry.is_regular_file()) all += read_file(entry.path());
      }
      return all;
    }
    auto connection = database_->connect();
    auto tables = connection->query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", {});
    EXPECT_TRUE(tables.ok());
    for (const auto& table : *tables) {
      auto rows = connection->query("SELECT t::text FROM \"" + table.text(0) + "\" t", {});
      EXPECT_TRUE(rows.ok()) << table.text(0);
      if (rows.ok()) {
        for (const auto& row : *rows) all += row.text(0) + "\n";
      }
    }
    return all;
  }

  std::string platform_public_key_;
  std::unique_ptr<MusePayClient> musepay_;
  std::unique_ptr<crypto::PlatformKeys> keys_;
  std::string user_id_;
  std::string card_id_;
};

TEST_P(CardSecretsTest, SensitiveInfoLinkShowsTheCardOnce) {
  Reply link = request_link("127.0.0.1");
  ASSERT_EQ(link.status, 200) << link.body;
  EXPECT_EQ(link["code"].as_int64(), 200);
  const std::string url(link["data"].at("url").as_string());
  EXPECT_TRUE(parse_rfc3339_ms(link["data"].at("expiry").as_string()).ok()) << link.body;
  const std::string path = path_of(url);
  ASSERT_TRUE(path.starts_with("/v1/card/sensitive-info/")) << url;
  EXPECT_GE(path.size() - std::string("/v1/card/sensitive-info/").size(), 43u) << "256-bit token";

  auto response = client_->request("GET", path, {});
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(response->header("cache-control"), "no-store");
  const bj::object shown = bj::parse(response->body).as_object();
  EXPECT_FALSE(shown.contains("code")) << "a plain object, not the MusePay envelope";
  const std::string pan(shown.at("card_number").as_string());
  EXPECT_TRUE(crypto::luhn_valid(pan)) << "PAN fails Luhn";
  EXPECT_EQ(pan.size(), 16u);
  EXPECT_EQ(shown.at("card_id").as_string(), card_id_);

  Reply query = musepay_->call("/v1/card/query", ids());
  ASSERT_EQ(query.status, 200) << query.body;
  const bj::value& card = query["data"];
  EXPECT_EQ(pan.substr(pan.size() - 4), card.at("card_no_last4").as_string());
  const std::string month(shown.at("expiry_month").as_string());
  const std::string year(shown.at("expiry_year").as_string());
  EXPECT_EQ(month, card.at("expiry_month").as_string());
  EXPECT_EQ(year, card.at("expiry_year").as_string());
  EXPECT_EQ(month.size(), 2u);
  EXPECT_EQ(year.size(), 4u);
  EXPECT_EQ(shown.at("security_code").as_string(),
            crypto::compute_cvv(keys_->cvk, pan, year.substr(2) + month, "000"));

  Reply again = call("GET", path);
  EXPECT_EQ(again.status, 410) << "a link works once";
  EXPECT_EQ(again.body.find(pan), std::string::npos);
  EXPECT_TRUE(again.json.as_object().contains("error")) << again.body;
}

TEST_P(CardSecretsTest, ConcurrentFetchesShowTheCardOnce) {
  const std::string path = link_path();
  ASSERT_FALSE(path.empty());
  constexpr int fetchers = 8;
  std::vector<int> statuses(fetchers, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < fetchers; ++i) {
    threads.emplace_back([this, &path, &statuses, i] {
      http::Client client = server_->client();
      auto response = client.request("GET", path, {});
      statuses[static_cast<std::size_t>(i)] = response.ok() ? response->status : -1;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200), 1);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 410), fetchers - 1);
}

TEST_P(CardSecretsTest, SensitiveInfoLinkOnlyFromTheNamedAddress) {
  const std::string path = link_path("127.0.0.1");
  ASSERT_FALSE(path.empty());
  const std::string refused = get_from("127.0.0.2", server_->port(), path);
  EXPECT_EQ(status_of(refused), 403) << refused;
  EXPECT_NE(refused.find("no-store"), std::string::npos) << "errors stay out of caches too";

  // The refused fetch did not use the link up.
  const std::string shown = get_from("127.0.0.1", server_->port(), path);
  ASSERT_EQ(status_of(shown), 200) << shown;
  EXPECT_TRUE(crypto::luhn_valid(bj::parse(body_of(shown)).at("card_number").as_string()));

  // A link for 127.0.0.2, written as an IPv4-mapped IPv6 address, works from there only.
  const std::string mapped = link_path("::ffff:127.0.0.2");
  EXPECT_EQ(status_of(get_from("127.0.0.1", server_->port(), mapped)), 403);
  EXPECT_EQ(status_of(get_from("127.0.0.2", server_->port(), mapped)), 200);
}

TEST_P(CardSecretsTest, SensitiveInfoLinkExpiresAfterFiveMinutes) {
  const std::int64_t start_ms = wall_clock_ms() / 1000 * 1000;
  Reply set = admin("POST", "/admin/v1/test/clock", bj::serialize(bj::object{{"now", format_rfc3339_ms(start_ms)}}));
  ASSERT_EQ(set.status, 200) << set.body;
  Reply link = request_link("127.0.0.1");
  ASSERT_EQ(link.status, 200) << link.body;
  EXPECT_EQ(link["data"].at("expiry").as_string(), format_rfc3339_ms(start_ms + 5 * 60 * 1000));
  const std::string path = path_of(std::string(link["data"].at("url").as_string()));

  set = admin("POST", "/admin/v1/test/clock",
              bj::serialize(bj::object{{"now", format_rfc3339_ms(start_ms + 6 * 60 * 1000)}}));
  ASSERT_EQ(set.status, 200) << set.body;
  Reply expired = call("GET", path);
  EXPECT_EQ(expired.status, 410) << expired.body;
}

TEST_P(CardSecretsTest, SensitiveInfoRefusals) {
  EXPECT_EQ(call("GET", "/v1/card/sensitive-info/" + std::string(43, 'A')).status, 404);
  EXPECT_EQ(call("GET", "/v1/card/sensitive-info/not%20a%20token").status, 404);

  for (const char* bad : {"", "localhost", "256.1.1.1", "1.2.3", "::g"}) {
    Reply reply = request_link(bad);
    EXPECT_EQ(reply.status, 400) << bad << ": " << reply.body;
    EXPECT_EQ(reply["field"].as_string(), "ip_address") << reply.body;
  }
  EXPECT_EQ(request_link("2001:db8::1").status, 200);

  // Another user's id, or another merchant, finds no card.
  bj::object other_user{{"card_id", card_id_}, {"user_id", "someone-else"}, {"ip_address", "127.0.0.1"}};
  EXPECT_EQ(musepay_->call("/v1/card/card-sensitive-info", other_user).status, 404);
  auto [other_id, other_key] = create_merchant("Other");
  MusePayClient other(*this, other_id, other_key);
  bj::object body = ids();
  body["ip_address"] = "127.0.0.1";
  EXPECT_EQ(other.call("/v1/card/card-sensitive-info", body).status, 404);
  EXPECT_EQ(other.call("/v1/card/change-pin", bj::object{{"card_id", card_id_}, {"user_id", user_id_},
                                                          {"card_pin", encrypted("1234")}})
                .status,
            404);
  // The link endpoint needs no credentials, but the one that makes links does.
  EXPECT_EQ(call("POST", "/v1/card/card-sensitive-info", bj::serialize(body)).status, 401);
}

TEST_P(CardSecretsTest, ChangePinStoresOnlyASealedPinBlock) {
  Reply model = musepay_->call("/v1/card/get-change-pin-model", ids());
  ASSERT_EQ(model.status, 200) << model.body;
  EXPECT_EQ(model["data"].at("change_pin_model").as_string(), "API");
  EXPECT_EQ(musepay_->call("/v1/card/get-change-pin-model", bj::object{{"card_id", "nope"}, {"user_id", user_id_}})
                .status,
            404);

  Reply set = change_pin(encrypted(test_pin));
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set["data"].at("pin_status").as_string(), "SET");
  EXPECT_EQ(set["data"].at("card_id").as_string(), card_id_);

  for (const std::string& bad : {std::string("garbage!"), std::string("QUJD"), encrypted("12ab"), encrypted("123"),
                                 encrypted("1234567"), std::string()}) {
    Reply reply = change_pin(bad);
    EXPECT_EQ(reply.status, 400) << reply.body;
    EXPECT_EQ(reply["field"].as_string(), "card_pin") << reply.body;
  }
  EXPECT_NE(change_pin("garbage!").body.find("could not be decrypted with the platform public key"),
            std::string::npos);

  const std::string pan = full_pan();
  ASSERT_FALSE(pan.empty());
  auto block = crypto::iso0_pin_block(test_pin, pan);
  ASSERT_TRUE(block.ok());
  auto connection = database_->connect();
  auto rows = connection->query("SELECT pin_block_sealed FROM cards WHERE card_id = ?",
                                std::vector<storage::SqlValue>{card_id_});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  const std::string sealed = (*rows)[0].text(0);
  EXPECT_NE(sealed, *block);
  EXPECT_EQ(sealed.find(*block), std::string::npos);
  auto opened = crypto::aes_gcm_open(keys_->pin_key, sealed, card_id_);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, *block) << "the rejected PINs did not replace it";
}

TEST_P(CardSecretsTest, NoPanOrPinInTheLogOrTheDatabase) {
  ASSERT_EQ(change_pin(encrypted(test_pin)).status, 200);
  EXPECT_EQ(change_pin(encrypted("12ab")).status, 400);
  const std::string pan = full_pan();
  ASSERT_EQ(pan.size(), 16u);
  EXPECT_EQ(status_of(get_from("127.0.0.2", server_->port(), link_path())), 403);
  auto block = crypto::iso0_pin_block(test_pin, pan);
  ASSERT_TRUE(block.ok());

  const std::string log = read_file(server_->log_path());
  EXPECT_FALSE(log.empty());
  const std::string stored = database_contents();
  EXPECT_FALSE(stored.empty());
  for (const auto& [where, text] : {std::pair{"log", &log}, std::pair{"database", &stored}}) {
    EXPECT_EQ(text->find(pan), std::string::npos) << "full PAN in the " << where;
    EXPECT_FALSE(contains_standalone(*text, test_pin)) << "PIN in the " << where;
    EXPECT_EQ(text->find(*block), std::string::npos) << "clear PIN block in the " << where;
  }
}

}  // namespace

ISSUERD_E2E_SUITE(CardSecretsTest);

}  // namespace issuerd::e2e
