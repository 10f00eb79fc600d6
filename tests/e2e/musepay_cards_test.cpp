// The MusePay card API over real HTTP on both databases, with requests signed exactly as
// VENDOR-NOTES.md describes: holders, apply, apply-result, query, the status machine,
// limitChange and replace; and MusePay's authentication rules.
#include "common/clock.h"
#include "crypto/musepay_signature.h"
#include "musepay_client.h"

namespace issuerd::e2e {
namespace {

class MusePayCards : public E2eTest {
 protected:
  // A merchant that signs its requests, and a product open to it.
  void SetUp() override {
    E2eTest::SetUp();
    auto key = crypto::RsaPrivateKey::generate();
    ASSERT_TRUE(key.ok());
    Reply merchant = admin("POST", "/admin/v1/merchants",
                           bj::serialize(bj::object{{"name", "Signed Program"}, {"public_key", key->public_key().der_base64()}}));
    ASSERT_EQ(merchant.status, 201) << merchant.body;
    musepay_ = std::make_unique<MusePayClient>(*this, merchant.text("merchant_id"), "", std::move(key).value());
    product_id_ = create_product();
  }

  Reply card_call(const std::string& path, const std::string& card_id, const std::string& user_id, bj::object extra = {}) {
    extra["card_id"] = card_id;
    extra["user_id"] = user_id;
    return musepay_->call(path, std::move(extra));
  }

  static std::string code_of(const Reply& reply) { return reply.json.is_object() ? bj::serialize(reply["code"]) : "?"; }

  std::unique_ptr<MusePayClient> musepay_;
  std::string product_id_;
};

TEST_P(MusePayCards, HoldersCreateAndQuery) {
  Reply created = musepay_->call("/v1/carduser/create",
                                 bj::object{{"user_xid", "x-1"}, {"email", "ada@example.test"},
                                            {"individual", bj::object{{"first_name", "Ada"}, {"last_name", "L"},
                                                                      {"date_of_birth", "1990-12-10"}}},
                                            {"document", bj::object{{"type", "PASSPORT"}, {"number", "P123"},
                                                                    {"country", "SG"}}}});
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(code_of(created), "200");
  EXPECT_EQ(created["message"].as_string(), "success");
  const std::string user_id(created["data"].at("user_id").as_string());
  EXPECT_EQ(created["data"].at("kyc_status").as_string(), "PASSED");
  for (const auto& [field, value] : {std::pair{"user_id", user_id}, {"user_xid", "x-1"}, {"email", "ada@example.test"}}) {
    Reply found = musepay_->call("/v1/carduser/query", bj::object{{field, value}});
    ASSERT_EQ(found.status, 200) << found.body;
    EXPECT_EQ(found["data"].at("user_id").as_string(), user_id);
    EXPECT_EQ(found["data"].at("document").at("number").as_string(), "P123");
  }
  // The same user_xid with the same details is the same holder; with others it is refused.
  Reply again = musepay_->call("/v1/carduser/create", bj::object{{"user_xid", "x-1"}, {"email", "ada@example.test"},
                                                                 {"individual", bj::object{{"first_name", "Ada"}, {"last_name", "L"},
                                                                                           {"date_of_birth", "1990-12-10"}}},
                                                                 {"document", bj::object{{"country", "SG"}, {"number", "P123"},
                                                                                         {"type", "PASSPORT"}}}});
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again["data"].at("user_id").as_string(), user_id);
  Reply other = musepay_->call("/v1/carduser/create", bj::object{{"user_xid", "x-1"}, {"email", "someone@else.test"}});
  EXPECT_EQ(other.status, 400);
  EXPECT_EQ(musepay_->call("/v1/carduser/query", bj::object{{"user_xid", "nobody"}}).status, 404);
  EXPECT_EQ(musepay_->call("/v1/carduser/create", bj::object{{"email", "no-xid@example.test"}}).status, 400);
  EXPECT_EQ(musepay_->call("/v1/carduser/create", bj::object{{"user_xid", "x-2"}, {"email", "not-an-email"}}).status, 400);
}

TEST_P(MusePayCards, ApplyIssuesAVirtualCard) {
  const std::string user_id = musepay_->create_holder("holder-1");
  const std::string card_id = musepay_->issue_card(user_id, product_id_);
  ASSERT_FALSE(card_id.empty());
  Reply card = card_call("/v1/card/query", card_id, user_id);
  ASSERT_EQ(card.status, 200) << card.body;
  const auto& data = card["data"].as_object();
  for (const char* field : {"user_id", "card_id", "phone_number", "phone_area_code", "product_id", "card_level",
                            "card_network", "card_type", "currency", "card_no_last4", "card_status", "embossed_name",
                            "expiry_month", "expiry_year", "issue_time", "card_available_balance", "daily_purchaseLimit",
                            "enable_present_transaction", "enable_noPresent_transaction"}) {
    EXPECT_TRUE(data.contains(field)) << field;
  }
  EXPECT_EQ(data.at("card_status").as_string(), "ACTIVE");
  EXPECT_EQ(data.at("card_type").as_string(), "virtual");
  EXPECT_EQ(data.at("card_network").as_string(), "visa");
  EXPECT_EQ(data.at("card_available_balance").as_string(), "0.00");
  EXPECT_EQ(data.at("card_no_last4").as_string().size(), 4u);
  EXPECT_TRUE(data.at("card_no_masked").as_string().starts_with("424242******"));
  EXPECT_EQ(std::stoi(std::string(data.at("expiry_year").as_string())) - 3,
            std::stoi(format_rfc3339_ms(wall_clock_ms()).substr(0, 4)));
  // Nothing in the reply is a full card number.
  EXPECT_EQ(card.body.find(std::string(data.at("card_no_masked").as_string()).substr(0, 6) + "0"), std::string::npos);
  // One card per holder per product: a second application is refused by the audit.
  Reply second = musepay_->call("/v1/card/apply", bj::object{{"user_id", user_id}, {"request_id", "second"},
                                                             {"card_product_id", product_id_}, {"card_level", "1"},
                                                             {"phone_number", "5550100"}, {"phone_area_code", "1"}});
  ASSERT_EQ(second.status, 200) << second.body;
  Reply result = musepay_->wait_for_application(user_id, "second");
  EXPECT_EQ(result["data"].at("apply_status").as_string(), "AUDIT_REFUSE");
  EXPECT_TRUE(result["data"].at("card_id").is_null());
  // Each decided application queued an APPLY_AUDIT callback, with its outcome.
  Reply events = admin("GET", "/admin/v1/merchants/" + musepay_->merchant_id() + "/events");
  ASSERT_EQ(events.status, 200) << events.body;
  int audits = 0;
  for (const auto& event : events["data"].as_array()) {
    if (event.at("type").as_string() == "APPLY_AUDIT") ++audits;
  }
  EXPECT_EQ(audits, 2) << events.body;
}

TEST_P(MusePayCards, ApplyValidatesAndIsIdempotent) {
  const std::string user_id = musepay_->create_holder("holder-2");
  bj::object apply{{"user_id", user_id}, {"request_id", "req-1"}, {"card_product_id", product_id_},
                   {"card_level", "1"}, {"phone_number", "5550100"}, {"phone_area_code", "+65"}};
  Reply first = musepay_->call("/v1/card/apply", apply);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first["data"].at("apply_status").as_string(), "APPLYING");
  Reply replay = musepay_->call("/v1/card/apply", apply);  // new timestamp and nonce, same request
  EXPECT_EQ(replay.body, first.body);
  bj::object changed = apply;
  changed["phone_number"] = "5550199";
  Reply double_use = musepay_->call("/v1/card/apply", changed);
  EXPECT_EQ(code_of(double_use), "202224");
  for (const auto& [field, value] : std::vector<std::pair<std::string, bj::value>>{
           {"user_id", "nobody"}, {"card_product_id", "nothing"}, {"card_level", "9"}, {"phone_number", "12ab"},
           {"phone_area_code", "12345"}, {"request_id", ""}}) {
    bj::object bad = apply;
    bad["request_id"] = "bad-" + field;
    bad[field] = value;
    Reply reply = musepay_->call("/v1/card/apply", bad);
    EXPECT_NE(reply.status, 200) << field << ": " << reply.body;
  }
  Reply missing = musepay_->call("/v1/card/apply", bj::object{{"user_id", user_id}, {"request_id", "m"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing["field"].as_string(), "card_product_id");
  musepay_->wait_for_application(user_id, "req-1");
}

TEST_P(MusePayCards, StatusMachine) {
  const std::string user_id = musepay_->create_holder("holder-3");
  const std::string card_id = musepay_->issue_card(user_id, product_id_);
  auto status_after = [&](const std::string& path) {
    Reply reply = card_call(path, card_id, user_id);
    return reply.status == 200 ? std::string(reply["data"].at("card_status").as_string()) : "error " + code_of(reply);
  };
  EXPECT_EQ(status_after("/v1/card/activate"), "error 400");  // already active
  EXPECT_EQ(status_after("/v1/card/lock"), "LOCK");
  EXPECT_EQ(status_after("/v1/card/lock"), "error 400");
  EXPECT_EQ(status_after("/v1/card/unlock"), "ACTIVE");
  EXPECT_EQ(status_after("/v1/card/unlock"), "error 400");
  EXPECT_EQ(status_after("/v1/card/activate-physical"), "error 400");  // a virtual card
  Reply phone = card_call("/v1/card/update-phone", card_id, user_id, {{"phone_number", "5557777"}, {"phone_area_code", "44"}});
  ASSERT_EQ(phone.status, 200) << phone.body;
  EXPECT_EQ(card_call("/v1/card/query", card_id, user_id)["data"].at("phone_number").as_string(), "5557777");
  // Another user's view of the card: not found, and nothing changes.
  const std::string stranger = musepay_->create_holder("holder-3b");
  EXPECT_EQ(card_call("/v1/card/lock", card_id, stranger).status, 404);
  EXPECT_EQ(card_call("/v1/card/query", card_id, user_id)["data"].at("card_status").as_string(), "ACTIVE");
}

TEST_P(MusePayCards, PhysicalCardsWaitForActivation) {
  const std::string physical = create_product("USD", "physical", "535353");
  const std::string user_id = musepay_->create_holder("holder-4");
  const std::string card_id = musepay_->issue_card(user_id, physical);
  EXPECT_EQ(card_call("/v1/card/query", card_id, user_id)["data"].at("card_status").as_string(), "PENDING_ACTIVE");
  EXPECT_EQ(card_call("/v1/card/lock", card_id, user_id).status, 400);
  Reply activated = card_call("/v1/card/activate-physical", card_id, user_id);
  ASSERT_EQ(activated.status, 200) << activated.body;
  EXPECT_EQ(activated["data"].at("card_status").as_string(), "ACTIVE");
  EXPECT_EQ(card_call("/v1/card/activate-physical", card_id, user_id).status, 400);
}

TEST_P(MusePayCards, LimitChangeSetsTheDailyPurchaseControl) {
  const std::string user_id = musepay_->create_holder("holder-5");
  const std::string card_id = musepay_->issue_card(user_id, product_id_);
  Reply set = card_call("/v1/card/limitChange", card_id, user_id, {{"daily_purchase_limit", 250.5}});
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set["data"].at("daily_purchase_limit").as_string(), "250.50");
  EXPECT_EQ(card_call("/v1/card/query", card_id, user_id)["data"].at("daily_purchaseLimit").as_string(), "250.50");
  EXPECT_EQ(card_call("/v1/card/limitChange", card_id, user_id, {{"daily_purchase_limit", "1.001"}}).status, 400);
  EXPECT_EQ(card_call("/v1/card/limitChange", card_id, user_id, {{"daily_purchase_limit", "-1"}}).status, 400);
  // The control is the shared spend-control row every dialect uses.
  auto connection = database_->connect();
  const storage::SqlValue params[] = {card_id};
  auto rows = connection->query("SELECT transaction_type, period, amount_limit_minor FROM spend_controls WHERE card_id = ?",
                                params);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].text(0), "PURCHASE");
  EXPECT_EQ((*rows)[0].text(1), "DAY");
  EXPECT_EQ((*rows)[0].integer(2), 25050);
}

TEST_P(MusePayCards, ReplaceCarriesLimitsAndCancelsTheOriginal) {
  const std::string user_id = musepay_->create_holder("holder-6");
  const std::string card_id = musepay_->issue_card(user_id, product_id_);
  ASSERT_EQ(card_call("/v1/card/limitChange", card_id, user_id, {{"daily_purchase_limit", "75"}}).status, 200);
  bj::object replace{{"user_id", user_id}, {"original_card_id", card_id}, {"replace_reason", "STOLEN"},
                     {"request_id", "replace-1"}};
  Reply replaced = musepay_->call("/v1/card/replace", replace);
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_EQ(musepay_->call("/v1/card/replace", replace).body, replaced.body);  // idempotent on request_id
  Reply result = musepay_->wait_for_application(user_id, "replace-1");
  ASSERT_EQ(result["data"].at("apply_status").as_string(), "AUDIT_PASS") << result.body;
  const std::string new_card(result["data"].at("card_id").as_string());
  EXPECT_NE(new_card, card_id);
  Reply original = card_call("/v1/card/query", card_id, user_id);
  EXPECT_EQ(original["data"].at("card_status").as_string(), "CANCELED");
  EXPECT_EQ(original["data"].at("replaced_by_card_id").as_string(), new_card);
  Reply fresh = card_call("/v1/card/query", new_card, user_id);
  EXPECT_EQ(fresh["data"].at("card_status").as_string(), "ACTIVE");
  EXPECT_EQ(fresh["data"].at("daily_purchaseLimit").as_string(), "75.00");
  // A new card number: the two cards' lookup hashes differ.
  auto connection = database_->connect();
  const storage::SqlValue ids[] = {card_id, new_card};
  auto hashes = connection->query("SELECT DISTINCT pan_lookup_hash FROM cards WHERE card_id IN (?, ?)", ids);
  ASSERT_TRUE(hashes.ok());
  EXPECT_EQ(hashes->size(), 2u);
  // A canceled card can be neither unlocked nor replaced again.
  EXPECT_EQ(card_call("/v1/card/unlock", card_id, user_id).status, 400);
  replace["request_id"] = "replace-2";
  EXPECT_EQ(musepay_->call("/v1/card/replace", replace).status, 400);
  replace["original_card_id"] = new_card;
  replace["replace_reason"] = "BORED";
  EXPECT_EQ(musepay_->call("/v1/card/replace", replace).status, 400);
}

TEST_P(MusePayCards, SignatureRules) {
  const std::int64_t now_ms = wall_clock_ms();
  // Seconds and milliseconds are both accepted.
  EXPECT_EQ(musepay_->call("/v1/carduser/create", bj::object{{"user_xid", "s1"}}, now_ms / 1000).status, 200);
  EXPECT_EQ(musepay_->call("/v1/carduser/create", bj::object{{"user_xid", "s2"}}, now_ms).status, 200);
  // A timestamp more than 5 minutes off: 412.
  Reply stale = musepay_->call("/v1/carduser/create", bj::object{{"user_xid", "s3"}}, now_ms - 6 * 60 * 1000);
  EXPECT_EQ(stale.status, 401);
  EXPECT_EQ(code_of(stale), "412");
  // A reused nonce: 412, even for a request that would otherwise succeed.
  EXPECT_EQ(musepay_->call("/v1/carduser/create", bj::object{{"user_xid", "s4"}}, std::nullopt, "nonce-1").status, 200);
  Reply replayed = musepay_->call("/v1/carduser/create", bj::object{{"user_xid", "s5"}}, std::nullopt, "nonce-1");
  EXPECT_EQ(code_of(replayed), "412");
  EXPECT_EQ(musepay_->call("/v1/carduser/query", bj::object{{"user_xid", "s5"}}).status, 404);
  // A tampered body: 406.
  bj::object body{{"user_xid", "s6"}, {"partner_id", musepay_->merchant_id()}, {"sign_type", "RSA"},
                  {"timestamp", std::to_string(now_ms)}, {"nonce", "n-tamper"}};
  auto other_key = crypto::RsaPrivateKey::generate();
  body["sign"] = crypto::musepay_sign(body, *other_key);
  Reply forged = call("POST", "/v1/carduser/create", bj::serialize(body));
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(code_of(forged), "406");
  // No credentials at all: 401 in MusePay's envelope.
  Reply anonymous = call("POST", "/v1/carduser/create", R"({"user_xid":"s7"})");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(code_of(anonymous), "401");
  EXPECT_TRUE(anonymous["data"].is_null());
}

TEST_P(MusePayCards, ApiKeyMerchantsAndIsolation) {
  auto [merchant_b, key_b] = create_merchant("Plain Program");
  MusePayClient plain(*this, merchant_b, key_b);
  const std::string user_b = plain.create_holder("b-holder");
  const std::string card_b = plain.issue_card(user_b, product_id_);
  ASSERT_FALSE(card_b.empty());
  // The signed merchant cannot see or touch B's holder or card.
  EXPECT_EQ(musepay_->call("/v1/carduser/query", bj::object{{"user_id", user_b}}).status, 404);
  EXPECT_EQ(card_call("/v1/card/query", card_b, user_b).status, 404);
  EXPECT_EQ(card_call("/v1/card/lock", card_b, user_b).status, 404);
  EXPECT_EQ(plain.call("/v1/card/query", bj::object{{"card_id", card_b}, {"user_id", user_b}})["data"].at("card_status").as_string(),
            "ACTIVE");
  // An api key with another merchant's partner_id is refused.
  Reply mismatched = call("POST", "/v1/carduser/query",
                          bj::serialize(bj::object{{"partner_id", musepay_->merchant_id()}, {"user_id", user_b}}),
                          {{"x-api-key", key_b}});
  EXPECT_EQ(mismatched.status, 401);
  // A wrong api key.
  EXPECT_EQ(call("POST", "/v1/carduser/query", R"({"user_id":"1"})", {{"x-api-key", "isk_wrong"}}).status, 401);
  // Bearer works as well as x-api-key.
  EXPECT_EQ(call("POST", "/v1/carduser/query", bj::serialize(bj::object{{"user_id", user_b}}),
                 {{"Authorization", "Bearer " + key_b}}).status, 200);
}

TEST_P(MusePayCards, ApplicationsSurviveARestart) {
  const std::string user_id = musepay_->create_holder("holder-7");
  // Apply and kill the server at once: the job is durable and runs after the restart.
  Reply applied = musepay_->call("/v1/card/apply", bj::object{{"user_id", user_id}, {"request_id", "durable"},
                                                              {"card_product_id", product_id_}, {"card_level", "1"},
                                                              {"phone_number", "5550100"}, {"phone_area_code", "1"}});
  ASSERT_EQ(applied.status, 200);
  server_->kill_hard();
  server_->restart();
  client_ = std::make_unique<http::Client>(server_->client());
  Reply result = musepay_->wait_for_application(user_id, "durable");
  EXPECT_EQ(result["data"].at("apply_status").as_string(), "AUDIT_PASS") << result.body;
}

ISSUERD_E2E_SUITE(MusePayCards);

}  // namespace
}  // namespace issuerd::e2e
