// MusePay card account over real HTTP on both databases: top-up moves exactly the amount
// from the merchant's main account to the card, once per request_id, and refuses every
// bad input without moving money; the transaction list pages and filters; a signed
// partner's top-up follows the signature, nonce and timestamp rules.
#include <algorithm>
#include <memory>

#include "common/clock.h"
#include "crypto/hashing.h"
#include "crypto/musepay_signature.h"
#include "crypto/rsa.h"
#include "e2e_support.h"
#include "musepay_client.h"

namespace issuerd::e2e {
namespace {

class CardAccount : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    std::tie(merchant_id_, api_key_) = create_merchant();
    deposit(merchant_id_, "1000.00");
    product_id_ = create_product();
    client_ = std::make_unique<MusePayClient>(*this, merchant_id_, api_key_);
    user_id_ = client_->create_holder("holder-1");
    card_id_ = client_->issue_card(user_id_, product_id_);
    ASSERT_FALSE(card_id_.empty());
  }

  Reply top_up(const std::string& request_id, bj::value amount, const std::string& currency = "USD",
               const std::string& card_id = {}, const std::string& user_id = {}) {
    return client_->call("/v1/cardaccount/topup",
                         bj::object{{"request_id", request_id},
                                    {"card_id", card_id.empty() ? card_id_ : card_id},
                                    {"amount", std::move(amount)},
                                    {"currency", currency},
                                    {"user_id", user_id.empty() ? user_id_ : user_id}});
  }

  Reply transactions(bj::object filters) {
    filters["card_id"] = card_id_;
    filters["user_id"] = user_id_;
    return client_->call("/v1/cardaccount/transactions", std::move(filters));
  }

  std::string card_balance(const std::string& card_id = {}) {
    Reply reply = client_->call("/v1/card/query",
                                bj::object{{"card_id", card_id.empty() ? card_id_ : card_id}, {"user_id", user_id_}});
    EXPECT_EQ(reply.status, 200) << reply.body;
    if (reply.status != 200) return "?";
    return std::string(reply["data"].at("card_available_balance").as_string());
  }

  // The MusePay error code of a reply (`code` is a number in our envelope).
  static std::int64_t code(const Reply& reply) { return reply["code"].as_int64(); }

  void expect_nothing_moved() {
    EXPECT_EQ(main_balance(merchant_id_), "1000.00");
    EXPECT_EQ(card_balance(), "0.00");
  }

  std::string merchant_id_;
  std::string api_key_;
  std::string product_id_;
  std::string user_id_;
  std::string card_id_;
  std::unique_ptr<MusePayClient> client_;
};

TEST_P(CardAccount, TopUpMovesExactlyTheAmount) {
  Reply reply = top_up("topup-1", "100.25");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(code(reply), 200);
  const bj::object& data = reply["data"].as_object();
  EXPECT_EQ(data.at("amount").as_string(), "100.25");
  EXPECT_EQ(data.at("currency").as_string(), "USD");
  EXPECT_EQ(data.at("fee").as_string(), "0.00");
  EXPECT_EQ(data.at("request_id").as_string(), "topup-1");
  EXPECT_EQ(data.at("status").as_string(), "SUCCESS");
  EXPECT_FALSE(data.at("order_no").as_string().empty());
  EXPECT_EQ(main_balance(merchant_id_), "899.75");
  EXPECT_EQ(card_balance(), "100.25");
}

TEST_P(CardAccount, AmountAsJsonNumberIsAccepted) {
  Reply reply = top_up("topup-number", 12.5);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply["data"].at("amount").as_string(), "12.50");
  EXPECT_EQ(card_balance(), "12.50");
}

TEST_P(CardAccount, ReplayAnswersTheSameAndMovesNothingMore) {
  Reply first = top_up("topup-replay", "100.25");
  ASSERT_EQ(first.status, 200) << first.body;
  Reply again = top_up("topup-replay", "100.25");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(main_balance(merchant_id_), "899.75");
  EXPECT_EQ(card_balance(), "100.25");

  Reply other = top_up("topup-replay", "5.00");
  EXPECT_EQ(other.status, 400) << other.body;
  EXPECT_EQ(code(other), 202224);
  EXPECT_EQ(main_balance(merchant_id_), "899.75");
}

TEST_P(CardAccount, ShortMainAccountMovesNothingAndMayBeRetried) {
  Reply reply = top_up("topup-short", "1000.01");
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_EQ(code(reply), 202203);
  expect_nothing_moved();
  // Nothing was remembered under the request_id: once funded, the same request succeeds.
  deposit(merchant_id_, "0.01");
  Reply retried = top_up("topup-short", "1000.01");
  EXPECT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(main_balance(merchant_id_), "0.00");
  EXPECT_EQ(card_balance(), "1000.01");
}

TEST_P(CardAccount, BadCurrencyAndAmountsAreRefused) {
  Reply currency = top_up("topup-eur", "10.00", "EUR");
  EXPECT_EQ(currency.status, 400) << currency.body;
  EXPECT_EQ(code(currency), 7002);
  for (const char* amount : {"10.001", "-5.00", "0", "0.00", "ten", ""}) {
    Reply reply = top_up(std::string("topup-bad-") + amount, amount);
    EXPECT_EQ(reply.status, 400) << amount << ": " << reply.body;
    EXPECT_EQ(code(reply), 400) << amount;
    EXPECT_EQ(reply.text("field"), "amount") << amount;
  }
  Reply missing = client_->call("/v1/cardaccount/topup", bj::object{{"request_id", "topup-missing"},
                                                                    {"card_id", card_id_},
                                                                    {"currency", "USD"},
                                                                    {"user_id", user_id_}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.text("field"), "amount");
  expect_nothing_moved();
}

TEST_P(CardAccount, AnotherUsersOrMerchantsCardIsNotFound) {
  const std::string other_user = client_->create_holder("holder-2");
  Reply reply = top_up("topup-other-user", "10.00", "USD", card_id_, other_user);
  EXPECT_EQ(reply.status, 404) << reply.body;

  auto [other_merchant, other_key] = create_merchant("Other");
  deposit(other_merchant, "100.00");
  MusePayClient stranger(*this, other_merchant, other_key);
  Reply foreign = stranger.call("/v1/cardaccount/topup", bj::object{{"request_id", "topup-foreign"},
                                                                    {"card_id", card_id_},
                                                                    {"amount", "10.00"},
                                                                    {"currency", "USD"},
                                                                    {"user_id", user_id_}});
  EXPECT_EQ(foreign.status, 404) << foreign.body;
  expect_nothing_moved();
  EXPECT_EQ(main_balance(other_merchant), "100.00");
}

TEST_P(CardAccount, CanceledCardIsRefused) {
  Reply replaced = client_->call("/v1/card/replace", bj::object{{"original_card_id", card_id_},
                                                                {"user_id", user_id_},
                                                                {"request_id", "replace-1"},
                                                                {"replace_reason", "LOST"}});
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  Reply result = client_->wait_for_application(user_id_, "replace-1");
  ASSERT_EQ(result["data"].at("apply_status").as_string(), "AUDIT_PASS") << result.body;

  Reply reply = top_up("topup-canceled", "10.00");
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_EQ(reply.text("reason"), "invalid_card_status");
  EXPECT_EQ(main_balance(merchant_id_), "1000.00");
}

TEST_P(CardAccount, TransactionsListNewestFirstAndPage) {
  std::vector<std::string> order_nos;
  for (const char* amount : {"1.00", "2.00", "3.00"}) {
    Reply reply = top_up(std::string("topup-list-") + amount, amount);
    ASSERT_EQ(reply.status, 200) << reply.body;
    order_nos.emplace_back(reply["data"].at("order_no").as_string());
  }
  Reply listed = transactions({});
  ASSERT_EQ(listed.status, 200) << listed.body;
  const bj::object& data = listed["data"].as_object();
  EXPECT_EQ(data.at("page_number").as_int64(), 1);
  EXPECT_EQ(data.at("page_size").as_int64(), 50);
  EXPECT_EQ(data.at("total_count").as_int64(), 3);
  const bj::array& items = data.at("transactions").as_array();
  ASSERT_EQ(items.size(), 3u);
  const char* newest_first[] = {"3.00", "2.00", "1.00"};
  for (std::size_t i = 0; i < 3; ++i) {
    const bj::object& item = items[i].as_object();
    EXPECT_EQ(item.at("txAmount").as_string(), newest_first[i]);
    EXPECT_EQ(item.at("txCurrency").as_string(), "USD");
    EXPECT_EQ(item.at("txType").as_string(), "TOP_UP");
    EXPECT_EQ(item.at("txStatus").as_string(), "POSTED");
    EXPECT_EQ(item.at("orderNo").as_string(), order_nos[2 - i]);
    EXPECT_EQ(item.at("txPostedAt").as_int64(), item.at("txCreatedAt").as_int64());
    EXPECT_TRUE(item.at("merchant").at("name").is_null());
    EXPECT_TRUE(item.at("authorization").at("amount").is_null());
    EXPECT_FALSE(item.at("detailId").as_string().empty());
  }

  Reply page = transactions({{"page_size", 2}, {"page_number", "2"}});
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page["data"].at("total_count").as_int64(), 3);
  ASSERT_EQ(page["data"].at("transactions").as_array().size(), 1u);
  EXPECT_EQ(page["data"].at("transactions").as_array()[0].at("txAmount").as_string(), "1.00");
}

TEST_P(CardAccount, TransactionsFilter) {
  for (const char* amount : {"1.00", "2.00", "3.00"}) {
    ASSERT_EQ(top_up(std::string("topup-filter-") + amount, amount).status, 200);
  }
  const bj::array all = transactions({})["data"].at("transactions").as_array();
  ASSERT_EQ(all.size(), 3u);

  const std::string middle_order(all[1].at("orderNo").as_string());
  Reply by_order = transactions({{"order_no", middle_order}});
  ASSERT_EQ(by_order["data"].at("total_count").as_int64(), 1) << by_order.body;
  EXPECT_EQ(by_order["data"].at("transactions").as_array()[0].at("txAmount").as_string(), "2.00");

  const std::string detail(all[0].at("detailId").as_string());
  EXPECT_EQ(transactions({{"detail_id", detail}})["data"].at("total_count").as_int64(), 1);
  EXPECT_EQ(transactions({{"tx_type", "CHARGE"}})["data"].at("total_count").as_int64(), 0);
  EXPECT_EQ(transactions({{"tx_type", "TOP_UP"}, {"tx_status", "POSTED"}})["data"].at("total_count").as_int64(), 3);
  // Blank optional fields are absent (MusePay clients send them; the signature drops them).
  EXPECT_EQ(transactions({{"tx_type", ""}, {"order_no", ""}, {"date_range_from", ""}})["data"].at("total_count").as_int64(),
            3);

  // Two top-ups may share a millisecond, so count against the listed times.
  const std::int64_t oldest_ms = all[2].at("txCreatedAt").as_int64();
  const std::int64_t newest_ms = all[0].at("txCreatedAt").as_int64();
  const auto created_in = [&](std::int64_t from, std::int64_t to) {
    return std::count_if(all.begin(), all.end(), [&](const bj::value& item) {
      const std::int64_t at = item.at("txCreatedAt").as_int64();
      return at >= from && at <= to;
    });
  };
  Reply newest = transactions({{"date_range_from", newest_ms}, {"date_range_to", std::to_string(newest_ms)}});
  ASSERT_EQ(newest.status, 200) << newest.body;
  EXPECT_EQ(newest["data"].at("total_count").as_int64(), created_in(newest_ms, newest_ms));
  EXPECT_EQ(transactions({{"date_range_to", oldest_ms}})["data"].at("total_count").as_int64(),
            created_in(0, oldest_ms));
  EXPECT_EQ(transactions({{"date_range_from", newest_ms + 1}})["data"].at("total_count").as_int64(), 0);
}

TEST_P(CardAccount, TransactionsRefuseBadFilters) {
  const std::pair<bj::object, const char*> cases[] = {
      {{{"tx_status", "DONE"}}, "tx_status"},
      {{{"tx_type", "PURCHASE"}}, "tx_type"},
      {{{"page_size", 0}}, "page_size"},
      {{{"page_size", 1001}}, "page_size"},
      {{{"page_number", 0}}, "page_number"},
      {{{"page_number", "x"}}, "page_number"},
      {{{"date_range_from", -1}}, "date_range_from"},
      {{{"date_range_from", 2000}, {"date_range_to", 1000}}, "date_range_from"},
  };
  for (const auto& [filters, field] : cases) {
    Reply reply = transactions(filters);
    EXPECT_EQ(reply.status, 400) << field << ": " << reply.body;
    EXPECT_EQ(reply.text("field"), field) << reply.body;
  }
  Reply no_user = client_->call("/v1/cardaccount/transactions", bj::object{{"card_id", card_id_}});
  EXPECT_EQ(no_user.status, 400);
  EXPECT_EQ(no_user.text("field"), "user_id");
  const std::string other_user = client_->create_holder("holder-3");
  Reply stranger = client_->call("/v1/cardaccount/transactions", bj::object{{"card_id", card_id_}, {"user_id", other_user}});
  EXPECT_EQ(stranger.status, 404) << stranger.body;
}

TEST_P(CardAccount, TopUpsQueueCallbacks) {
  ASSERT_EQ(top_up("topup-event-1", "1.00").status, 200);
  ASSERT_EQ(top_up("topup-event-2", "2.00").status, 200);
  ASSERT_EQ(top_up("topup-event-2", "2.00").status, 200);  // a replay queues nothing
  Reply events = admin("GET", "/admin/v1/merchants/" + merchant_id_ + "/events");
  ASSERT_EQ(events.status, 200) << events.body;
  const bj::array& listed = events["data"].as_array();
  EXPECT_EQ(std::count_if(listed.begin(), listed.end(),
                          [](const bj::value& event) { return event.at("type").as_string() == "CARD_TOP_UP"; }),
            2);
}

// A partner that registered its public key signs every request instead of sending a key.
class SignedCardAccount : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    auto key = crypto::RsaPrivateKey::generate();
    ASSERT_TRUE(key.ok());
    private_key_ = std::make_unique<crypto::RsaPrivateKey>(*key);
    Reply created = admin("POST", "/admin/v1/merchants",
                          bj::serialize(bj::object{{"name", "Signer"}, {"public_key", key->public_key().der_base64()}}));
    ASSERT_EQ(created.status, 201) << created.body;
    merchant_id_ = created.text("merchant_id");
    deposit(merchant_id_, "1000.00");
    client_ = std::make_unique<MusePayClient>(*this, merchant_id_, "", *private_key_);
    user_id_ = client_->create_holder("signed-holder");
    card_id_ = client_->issue_card(user_id_, create_product());
    ASSERT_FALSE(card_id_.empty());
  }

  bj::object top_up_body(const std::string& request_id, const std::string& amount) {
    return bj::object{{"request_id", request_id}, {"card_id", card_id_}, {"amount", amount},
                      {"currency", "USD"},        {"user_id", user_id_}};
  }

  static std::int64_t code(const Reply& reply) { return reply["code"].as_int64(); }

  std::unique_ptr<crypto::RsaPrivateKey> private_key_;
  std::string merchant_id_;
  std::string user_id_;
  std::string card_id_;
  std::unique_ptr<MusePayClient> client_;
};

TEST_P(SignedCardAccount, SignedTopUpFollowsTheRules) {
  Reply first = client_->call("/v1/cardaccount/topup", top_up_body("signed-1", "10.00"), std::nullopt, "nonce-1");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(main_balance(merchant_id_), "990.00");

  Reply reused = client_->call("/v1/cardaccount/topup", top_up_body("signed-2", "10.00"), std::nullopt, "nonce-1");
  EXPECT_EQ(reused.status, 401) << reused.body;
  EXPECT_EQ(code(reused), 412);

  Reply stale = client_->call("/v1/cardaccount/topup", top_up_body("signed-3", "10.00"), wall_clock_ms() - 10 * 60 * 1000);
  EXPECT_EQ(code(stale), 412) << stale.body;

  // Signed over 10.00, then changed to 999.00 on the way.
  bj::object body = top_up_body("signed-4", "10.00");
  body["partner_id"] = merchant_id_;
  body["timestamp"] = std::to_string(wall_clock_ms());
  body["nonce"] = crypto::hex_encode(crypto::random_bytes(16));
  body["sign_type"] = "RSA";
  body["sign"] = crypto::musepay_sign(body, *private_key_);
  body["amount"] = "999.00";
  Reply tampered = call("POST", "/v1/cardaccount/topup", bj::serialize(body));
  EXPECT_EQ(code(tampered), 406) << tampered.body;

  Reply anonymous = call_public("POST", "/v1/cardaccount/topup", bj::serialize(top_up_body("signed-5", "10.00")), {});
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  EXPECT_EQ(code(anonymous), 401);

  EXPECT_EQ(main_balance(merchant_id_), "990.00");
}

ISSUERD_E2E_SUITE(CardAccount);
ISSUERD_E2E_SUITE(SignedCardAccount);

}  // namespace
}  // namespace issuerd::e2e
