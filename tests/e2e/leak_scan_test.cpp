// After a full card flow (cards issued, sensitive info shown, PINs changed, authorizations
// by card id and by PAN + CVV, declines, captures, refunds, a replacement, callbacks
// delivered), no full PAN, CVV or PIN is anywhere in clear: not in the server's log, not in
// the SQLite files (database, WAL, shared memory), not in any PostgreSQL row read as text,
// and not in any captured callback.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "crypto/hashing.h"
#include "crypto/musepay_signature.h"
#include "crypto/rsa.h"
#include "crypto/vault.h"
#include "http/server.h"
#include "musepay_client.h"
#include "scan_support.h"
#include "webhook_receiver.h"
#include "storage/store.h"

namespace issuerd::e2e {
namespace {

using namespace std::chrono_literals;

// A Luhn-valid PAN that issuerd never issued (another BIN).
std::string unknown_pan() {
  std::string digits = "411111" + std::to_string(100000000 + (std::rand() % 800000000));
  return digits + crypto::luhn_check_digit(digits);
}

struct CardSecrets {
  std::string card_id;
  std::string user_id;
  std::string pan;
  std::string cvv;
  int expiry_month = 0;
  int expiry_year = 0;
};

class LeakScan : public E2eTest {
 protected:
  Reply sim(const std::string& path, const bj::object& body, const std::string& key) {
    return call("POST", path, bj::serialize(body), {{"x-api-key", api_key_}, {"Idempotency-Key", key}});
  }

  CardSecrets reveal(const std::string& card_id, const std::string& user_id) {
    CardSecrets secrets{card_id, user_id, "", "", 0, 0};
    Reply link = musepay_->call("/v1/card/card-sensitive-info",
                                bj::object{{"card_id", card_id}, {"user_id", user_id}, {"ip_address", "127.0.0.1"}});
    EXPECT_EQ(link.status, 200) << link.body;
    if (link.status != 200) return secrets;
    const std::string url(link["data"].at("url").as_string());
    const std::string path = url.substr(url.find("/v1/"));
    tokens_.push_back(path.substr(path.rfind('/') + 1));
    Reply shown = call("GET", path);
    EXPECT_EQ(shown.status, 200) << shown.body;
    if (shown.status != 200) return secrets;
    secrets.pan = shown.text("card_number");
    secrets.cvv = shown.text("security_code");
    secrets.expiry_month = std::stoi(shown.text("expiry_month"));
    secrets.expiry_year = std::stoi(shown.text("expiry_year"));
    return secrets;
  }

  void change_pin(const CardSecrets& card, const std::string& pin) {
    Reply reply = musepay_->call("/v1/card/change-pin", bj::object{{"card_id", card.card_id}, {"user_id", card.user_id},
                                                                   {"card_pin", *platform_key_->encrypt_pkcs1_base64(pin)}});
    EXPECT_EQ(reply.status, 200) << reply.body;
  }

  // Every byte the database holds: SQLite's files, or the text of every PostgreSQL row.
  std::string database_contents() {
    std::string all;
    if (database_->dialect() == storage::Dialect::sqlite) {
      for (const auto& entry : std::filesystem::directory_iterator(database_->directory())) {
        if (entry.is_regular_file()) all += read_file(entry.path()) + "\n";
      }
      return all;
    }
    auto connection = database_->connect();
    auto tables = connection->query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", {});
    EXPECT_TRUE(tables.ok());
    if (!tables.ok()) return all;
    for (const auto& table : *tables) {
      auto rows = connection->query("SELECT t::text FROM \"" + table.text(0) + "\" t", {});
      EXPECT_TRUE(rows.ok()) << table.text(0);
      if (!rows.ok()) continue;
      for (const auto& row : *rows) all += table.text(0) + ": " + row.text(0) + "\n";
    }
    return all;
  }

  std::string api_key_;
  std::unique_ptr<MusePayClient> musepay_;
  std::optional<crypto::RsaPublicKey> platform_key_;
  std::vector<std::string> tokens_;
  std::vector<bj::object> pan_requests_;  // the simulator bodies that carried a PAN
};

TEST_P(LeakScan, NoPanCvvOrPinInLogsDatabaseOrCallbacks) {
  Receiver sink;
  Reply merchant = admin("POST", "/admin/v1/merchants", R"({"name":"Leak scan"})");
  ASSERT_EQ(merchant.status, 201) << merchant.body;
  const std::string merchant_id = merchant.text("merchant_id");
  api_key_ = merchant.text("api_key");
  auto key = crypto::RsaPublicKey::parse(merchant.text("platform_public_key"));
  ASSERT_TRUE(key.ok());
  platform_key_ = std::move(key).value();
  ASSERT_EQ(admin("POST", "/admin/v1/merchants/" + merchant_id + "/webhooks",
                  bj::serialize(bj::object{{"url", sink.url()}})).status,
            200);
  deposit(merchant_id, "1000.00");
  musepay_ = std::make_unique<MusePayClient>(*this, merchant_id, api_key_);
  const std::string product = create_product();

  // Two holders, two cards; one is topped up and replaced later.
  const std::string user_a = musepay_->create_holder("leak-a");
  const std::string user_b = musepay_->create_holder("leak-b");
  std::vector<CardSecrets> cards;
  cards.push_back(reveal(musepay_->issue_card(user_a, product), user_a));
  cards.push_back(reveal(musepay_->issue_card(user_b, product), user_b));
  ASSERT_FALSE(cards[0].pan.empty());
  ASSERT_FALSE(cards[1].pan.empty());
  ASSERT_EQ(musepay_->call("/v1/cardaccount/topup", bj::object{{"request_id", "leak-topup"}, {"card_id", cards[0].card_id},
                                                               {"user_id", user_a}, {"amount", "100.00"},
                                                               {"currency", "USD"}}).status,
            200);
  const std::vector<std::string> pins = {"482916", "739105"};
  change_pin(cards[0], pins[0]);
  change_pin(cards[1], pins[1]);

  // Authorizations by card id and by PAN + expiry + CVV; approvals and declines.
  Reply by_id = sim("/sim/v1/authorizations", bj::object{{"card_id", cards[0].card_id}, {"amount", "10.00"},
                                                          {"currency", "USD"}}, "leak-1");
  ASSERT_EQ(by_id.status, 201) << by_id.body;
  EXPECT_EQ(sim("/sim/v1/authorizations/" + by_id.text("authorization_id") + "/capture", {}, "leak-2").status, 200);
  EXPECT_EQ(sim("/sim/v1/refunds", bj::object{{"authorization_id", by_id.text("authorization_id")}, {"amount", "2.00"}},
                "leak-3").status,
            201);
  auto by_pan = [&](const CardSecrets& card, const std::string& cvv, const std::string& amount, const std::string& key) {
    bj::object body{{"pan", card.pan},     {"expiry_month", card.expiry_month}, {"expiry_year", card.expiry_year},
                    {"cvv", cvv},          {"amount", amount},                  {"currency", "USD"},
                    {"card_present", true}, {"merchant", bj::object{{"name", "Shop"}, {"mcc", "5411"}, {"country", "US"}}}};
    pan_requests_.push_back(body);
    Reply reply = sim("/sim/v1/authorizations", body, key);
    EXPECT_EQ(reply.status, 201) << reply.body;
    return reply;
  };
  Reply approved = by_pan(cards[0], cards[0].cvv, "20.00", "leak-4");
  EXPECT_EQ(approved.text("status"), "APPROVED") << approved.body;
  EXPECT_EQ(sim("/sim/v1/authorizations/" + approved.text("authorization_id") + "/reverse", {}, "leak-5").status, 200);
  const std::string wrong_cvv = cards[0].cvv == "999" ? "998" : "999";
  EXPECT_EQ(by_pan(cards[0], wrong_cvv, "1.00", "leak-6").text("response_code"), "82");
  EXPECT_EQ(by_pan(cards[1], cards[1].cvv, "1.00", "leak-7").text("response_code"), "51");  // nothing on it
  CardSecrets stranger{"", "", unknown_pan(), "123", 12, 2030};
  EXPECT_EQ(by_pan(stranger, stranger.cvv, "1.00", "leak-8").text("response_code"), "14");

  // A replacement card (new PAN), shown once too.
  Reply replaced = musepay_->call("/v1/card/replace", bj::object{{"user_id", user_b}, {"original_card_id", cards[1].card_id},
                                                                 {"replace_reason", "LOST"}, {"request_id", "leak-replace"}});
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  Reply result = musepay_->wait_for_application(user_b, "leak-replace");
  ASSERT_EQ(result["data"].at("apply_status").as_string(), "AUDIT_PASS") << result.body;
  cards.push_back(reveal(std::string(result["data"].at("card_id").as_string()), user_b));

  // Callbacks: applications, the top-up, every card transaction. Wait until they stop coming.
  std::size_t seen = 0;
  for (int quiet = 0, i = 0; quiet < 5 && i < 100; ++i) {
    std::this_thread::sleep_for(100ms);
    const std::size_t now = sink.requests().size();
    quiet = now == seen && now >= 5 ? quiet + 1 : 0;
    seen = now;
  }
  const auto callbacks = sink.requests();
  EXPECT_GE(callbacks.size(), 5u);
  std::string callback_text;
  for (const auto& request : callbacks) callback_text += request.body + "\n";

  const std::vector<std::pair<std::string, std::string>> places = {
      {"log", read_file(server_->log_path())}, {"database", database_contents()}, {"callbacks", callback_text}};
  std::vector<CardSecrets> all = cards;
  all.push_back(stranger);
  for (const auto& [where, text] : places) {
    ASSERT_FALSE(text.empty()) << where;
    for (const CardSecrets& card : all) {
      EXPECT_EQ(text.find(card.pan), std::string::npos) << "full PAN of " << card.card_id << " in the " << where;
      EXPECT_FALSE(contains_standalone(text, "\"security_code\":\"" + card.cvv)) << "CVV in the " << where;
      EXPECT_FALSE(contains_standalone(text, "\"cvv\":\"" + card.cvv)) << "CVV in the " << where;
      EXPECT_FALSE(contains_standalone(text, "cvv=" + card.cvv)) << "CVV in the " << where;
    }
    EXPECT_EQ(text.find("security_code"), std::string::npos) << "a security_code field in the " << where;
    for (const std::string& pin : pins) EXPECT_FALSE(contains_standalone(text, pin)) << "PIN " << pin << " in the " << where;
    // The one-time links' tokens are credentials too.
    for (const std::string& token : tokens_) EXPECT_EQ(text.find(token), std::string::npos) << "link token in the " << where;
  }
  // The masked forms are what may appear: the flow did run and was recorded.
  EXPECT_NE(places[1].second.find(cards[0].pan.substr(cards[0].pan.size() - 4)), std::string::npos);
}

// A simulator request's idempotency key keeps a hash of path + canonical body (on its
// authorization since migration 0010, in idempotency_keys for other routes). For an
// authorization by PAN the body holds the PAN, the expiry and the CVV, and everything else in
// it (amount, merchant, expiry, BIN and last four) is stored beside it in clear: the
// remaining ~10^5 PAN digits x 10^3 CVVs are a brute force of seconds. The stored hash must
// not be an unkeyed hash of a body holding card data (a keyed HMAC, or the PAN and CVV
// replaced by their lookup hash before hashing, would do): it is keyed.
TEST_P(LeakScan, NoUnkeyedHashOfPanAndCvvIsStored) {
  Reply merchant = admin("POST", "/admin/v1/merchants", R"({"name":"Hash scan"})");
  ASSERT_EQ(merchant.status, 201) << merchant.body;
  api_key_ = merchant.text("api_key");
  deposit(merchant.text("merchant_id"), "100.00");
  musepay_ = std::make_unique<MusePayClient>(*this, merchant.text("merchant_id"), api_key_);
  const std::string user = musepay_->create_holder("hash-a");
  CardSecrets card = reveal(musepay_->issue_card(user, create_product()), user);
  ASSERT_FALSE(card.pan.empty());
  const bj::object body{{"pan", card.pan}, {"expiry_month", card.expiry_month}, {"expiry_year", card.expiry_year},
                        {"cvv", card.cvv}, {"amount", "1.00"}, {"currency", "USD"}};
  Reply reply = sim("/sim/v1/authorizations", body, "hash-1");
  ASSERT_EQ(reply.status, 201) << reply.body;
  const std::string unkeyed = crypto::sha256_hex("/sim/v1/authorizations\n" + crypto::musepay_canonical_string(body));
  EXPECT_EQ(database_contents().find(unkeyed), std::string::npos)
      << "a stored request_hash is SHA-256 of a body holding the PAN and the CVV";
}

ISSUERD_E2E_SUITE(LeakScan);

}  // namespace
}  // namespace issuerd::e2e
