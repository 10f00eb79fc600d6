// Tenant isolation over real HTTP on both databases. Merchant B, with its own valid
// credentials, sends merchant A's ids to every route that takes an object id (MusePay
// /v1 and the simulator; the admin API is platform-wide and not part of this): each is
// "not found" and nothing of A's changes (its API view, its rows, every account and
// transfer). Lists show only the caller's objects, idempotency keys are per merchant, and
// fields the API does not offer (status, balance, merchant, ids) cannot be set through a
// request body.
#include <set>

#include "musepay_client.h"
#include "storage/store.h"

namespace issuerd::e2e {
namespace {

std::string cell(const storage::Row& row, std::size_t i) {
  auto text = row.optional_text(i);
  return text ? *text : std::string("NULL");
}

class Isolation : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    std::tie(a_id_, a_key_) = create_merchant("Tenant A");
    std::tie(b_id_, b_key_) = create_merchant("Tenant B");
    deposit(a_id_, "1000.00");
    deposit(b_id_, "1000.00");
    product_ = create_product();
    physical_product_ = create_product("USD", "physical", "445566");
    a_ = std::make_unique<MusePayClient>(*this, a_id_, a_key_);
    b_ = std::make_unique<MusePayClient>(*this, b_id_, b_key_);

    a_user_ = a_->create_holder("holder-a");
    a_card_ = a_->issue_card(a_user_, product_);
    ASSERT_FALSE(a_card_.empty());
    Reply topped = a_->call("/v1/cardaccount/topup", bj::object{{"request_id", "a-topup-1"}, {"card_id", a_card_},
                                                                {"user_id", a_user_}, {"amount", "100.00"},
                                                                {"currency", "USD"}});
    ASSERT_EQ(topped.status, 200) << topped.body;
    a_order_no_ = std::string(topped["data"].at("order_no").as_string());

    Reply quota = a_->call("/v1/card/share-quota/quota/create",
                           bj::object{{"request_id", "a-quota-1"}, {"card_product_id", product_}, {"card_level", "1"},
                                      {"share_quota_name", "A team"}});
    ASSERT_EQ(quota.status, 200) << quota.body;
    a_quota_ = std::string(quota["data"].at("share_quota_id").as_string());
    Reply funded = a_->call("/v1/card/share-quota/quota/tx/adjustment",
                            bj::object{{"share_quota_id", a_quota_}, {"request_id", "a-fund-1"}, {"amount", "200.00"}});
    ASSERT_EQ(funded.status, 200) << funded.body;

    a_shared_user_ = a_->create_holder("holder-a-shared");
    Reply applied = a_->call("/v1/card/share-quota/apply",
                             bj::object{{"user_id", a_shared_user_}, {"request_id", "a-shared-1"},
                                        {"card_product_id", product_}, {"card_level", "1"},
                                        {"phone_number", "5550100"}, {"phone_area_code", "1"},
                                        {"share_quota_id", a_quota_}});
    ASSERT_EQ(applied.status, 200) << applied.body;
    a_apply_id_ = std::string(applied["data"].at("apply_id").as_string());
    Reply result = a_->wait_for_application(a_shared_user_, "a-shared-1");
    ASSERT_EQ(result["data"].at("apply_status").as_string(), "AUDIT_PASS") << result.body;
    a_shared_card_ = std::string(result["data"].at("card_id").as_string());
    ASSERT_EQ(a_->call("/v1/cardaccount/topup", bj::object{{"request_id", "a-limit-1"}, {"card_id", a_shared_card_},
                                                           {"user_id", a_shared_user_}, {"amount", "50.00"},
                                                           {"currency", "USD"}}).status,
              200);

    Reply authorized = sim(a_key_, "POST", "/sim/v1/authorizations",
                           bj::object{{"card_id", a_card_}, {"amount", "10.00"}, {"currency", "USD"}}, "a-auth-1");
    ASSERT_EQ(authorized.status, 201) << authorized.body;
    ASSERT_EQ(authorized.text("status"), "APPROVED") << authorized.body;
    a_auth_ = authorized.text("authorization_id");

    b_user_ = b_->create_holder("holder-b");
    b_card_ = b_->issue_card(b_user_, product_);
    ASSERT_FALSE(b_card_.empty());
    ASSERT_EQ(b_->call("/v1/cardaccount/topup", bj::object{{"request_id", "b-topup-1"}, {"card_id", b_card_},
                                                           {"user_id", b_user_}, {"amount", "100.00"},
                                                           {"currency", "USD"}}).status,
              200);
  }

  // A simulator call with a merchant's api key.
  Reply sim(const std::string& api_key, const std::string& method, const std::string& path, const bj::object& body,
            const std::string& idempotency_key = {}) {
    Headers headers{{"x-api-key", api_key}};
    if (!idempotency_key.empty()) headers.emplace_back("Idempotency-Key", idempotency_key);
    return call(method, path, method == "GET" ? std::string() : bj::serialize(body), headers);
  }

  // Everything of A's an API shows, and the merchants' balances.
  std::vector<std::string> api_view() {
    std::vector<std::string> view;
    auto add = [&view](const std::string& what, const Reply& reply) {
      view.push_back(what + " -> " + std::to_string(reply.status) + " " + reply.body);
    };
    add("card", a_->call("/v1/card/query", bj::object{{"card_id", a_card_}, {"user_id", a_user_}}));
    add("shared card", a_->call("/v1/card/query", bj::object{{"card_id", a_shared_card_}, {"user_id", a_shared_user_}}));
    add("transactions", a_->call("/v1/cardaccount/transactions", bj::object{{"card_id", a_card_}, {"user_id", a_user_}}));
    add("holder", a_->call("/v1/carduser/query", bj::object{{"user_id", a_user_}}));
    add("quotas", a_->call("/v1/card/share-quota/quota/list", bj::object{}));
    add("quota orders", a_->call("/v1/card/share-quota/quota/tx/list", bj::object{}));
    add("application", a_->call("/v1/card/apply-result", bj::object{{"request_id", "a-shared-1"},
                                                                    {"user_id", a_shared_user_}}));
    add("authorization", sim(a_key_, "GET", "/sim/v1/authorizations/" + a_auth_, {}));
    add("merchant a", admin("GET", "/admin/v1/merchants/" + a_id_));
    add("merchant b", admin("GET", "/admin/v1/merchants/" + b_id_));
    return view;
  }

  // A's rows in every merchant-owned table, and every row of the ledger and of the tables
  // keyed by card or quota.
  std::vector<std::string> database_view() {
    auto connection = database_->connect();
    std::vector<std::string> rows;
    auto dump = [&](const std::string& sql, const std::vector<storage::SqlValue>& params) {
      auto result = connection->query(sql, params);
      EXPECT_TRUE(result.ok()) << sql;
      if (!result.ok()) return;
      for (const auto& row : *result) {
        std::string line = sql.substr(14, sql.find(' ', 14) - 14) + ":";
        for (std::size_t i = 0; i < row.size(); ++i) line += " " + cell(row, i);
        rows.push_back(line);
      }
    };
    for (const char* table : {"card_holders", "card_applications", "cards", "card_orders", "card_transactions",
                              "sensitive_info_tokens", "budget_quotas", "quota_orders", "authorizations"}) {
      dump(std::string("SELECT * FROM ") + table + " WHERE merchant_id = ? ORDER BY 1", {a_id_});
    }
    for (const char* table : {"accounts", "transfers", "spend_controls", "quota_fee_days", "merchants"}) {
      dump(std::string("SELECT * FROM ") + table + " ORDER BY 1", {});
    }
    return rows;
  }

  void expect_same(const std::vector<std::string>& before, const std::vector<std::string>& after) {
    ASSERT_EQ(before.size(), after.size());
    for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(before[i], after[i]);
  }

  std::string a_id_, a_key_, b_id_, b_key_, product_, physical_product_;
  std::unique_ptr<MusePayClient> a_, b_;
  std::string a_user_, a_card_, a_order_no_, a_quota_, a_shared_user_, a_shared_card_, a_apply_id_, a_auth_;
  std::string b_user_, b_card_;
};

bool musepay_not_found(const Reply& reply) {
  if (reply.status != 404 || !reply.json.is_object()) return false;
  const bj::value* code = reply.json.as_object().if_contains("code");
  return code != nullptr && code->is_int64() && (code->as_int64() == 404 || code->as_int64() == 7000) &&
         reply.json.as_object().at("data").is_null();
}

TEST_P(Isolation, AnotherMerchantsIdsAreNotFoundAndChangeNothing) {
  // change-pin needs a PIN the platform key decrypts, so that only the card decides.
  auto platform_key = crypto::RsaPublicKey::parse(
      admin("POST", "/admin/v1/merchants", R"({"name":"key holder"})").text("platform_public_key"));
  ASSERT_TRUE(platform_key.ok());
  const auto api_before = api_view();
  const auto rows_before = database_view();

  struct Case {
    std::string path;
    bj::object body;
  };
  const std::string& card = a_card_;
  const std::string& user = a_user_;
  const std::vector<Case> musepay = {
      {"/v1/carduser/query", {{"user_id", user}}},
      {"/v1/carduser/query", {{"user_xid", "holder-a"}}},
      {"/v1/carduser/query", {{"email", "holder-a@example.test"}}},
      {"/v1/card/apply", {{"user_id", user}, {"request_id", "b-apply-x"}, {"card_product_id", product_},
                          {"card_level", "1"}, {"phone_number", "5550100"}, {"phone_area_code", "1"}}},
      {"/v1/card/apply-result", {{"request_id", "a-shared-1"}, {"user_id", a_shared_user_}}},
      {"/v1/card/apply-result", {{"request_id", "a-shared-1"}, {"user_id", a_shared_user_}, {"apply_id", a_apply_id_}}},
      {"/v1/card/apply-result", {{"request_id", "a-shared-1"}, {"user_id", b_user_}, {"apply_id", a_apply_id_}}},
      {"/v1/card/query", {{"card_id", card}, {"user_id", user}}},
      {"/v1/card/query", {{"card_id", card}, {"user_id", b_user_}}},
      {"/v1/card/activate", {{"card_id", card}, {"user_id", user}}},
      {"/v1/card/activate-physical", {{"card_id", card}, {"user_id", user}}},
      {"/v1/card/lock", {{"card_id", card}, {"user_id", user}}},
      {"/v1/card/lock", {{"card_id", card}, {"user_id", b_user_}}},
      {"/v1/card/unlock", {{"card_id", card}, {"user_id", user}}},
      {"/v1/card/update-phone", {{"card_id", card}, {"user_id", user}, {"phone_number", "5550199"},
                                 {"phone_area_code", "44"}}},
      {"/v1/card/replace", {{"original_card_id", card}, {"user_id", user}, {"replace_reason", "LOST"},
                            {"request_id", "b-replace-x"}}},
      {"/v1/card/replace", {{"original_card_id", card}, {"user_id", b_user_}, {"replace_reason", "STOLEN"},
                            {"request_id", "b-replace-y"}}},
      {"/v1/card/limitChange", {{"card_id", card}, {"user_id", user}, {"daily_purchase_limit", "1.00"}}},
      {"/v1/card/card-sensitive-info", {{"card_id", card}, {"user_id", user}, {"ip_address", "127.0.0.1"}}},
      {"/v1/card/get-change-pin-model", {{"card_id", card}, {"user_id", user}}},
      {"/v1/cardaccount/topup", {{"request_id", "b-topup-x"}, {"card_id", card}, {"user_id", user},
                                 {"amount", "1.00"}, {"currency", "USD"}}},
      {"/v1/cardaccount/topup", {{"request_id", "b-topup-y"}, {"card_id", card}, {"user_id", b_user_},
                                 {"amount", "1.00"}, {"currency", "USD"}}},
      {"/v1/cardaccount/transactions", {{"card_id", card}, {"user_id", user}}},
      {"/v1/cardaccount/transactions", {{"card_id", card}, {"user_id", user}, {"order_no", a_order_no_}}},
      {"/v1/card/share-quota/quota/tx/adjustment", {{"share_quota_id", a_quota_}, {"request_id", "b-adj-x"},
                                                    {"amount", "1.00"}}},
      {"/v1/card/share-quota/quota/tx/adjustment", {{"share_quota_id", a_quota_}, {"request_id", "b-adj-y"},
                                                    {"amount", "-1.00"}}},
      {"/v1/card/share-quota/quota/frozen", {{"share_quota_id", a_quota_}}},
      {"/v1/card/share-quota/quota/unfrozen", {{"share_quota_id", a_quota_}}},
      {"/v1/card/share-quota/apply", {{"user_id", b_user_}, {"request_id", "b-shared-x"}, {"card_product_id", product_},
                                      {"card_level", "1"}, {"phone_number", "5550100"}, {"phone_area_code", "1"},
                                      {"share_quota_id", a_quota_}}},
      {"/v1/card/share-quota/apply", {{"user_id", a_shared_user_}, {"request_id", "b-shared-y"},
                                      {"card_product_id", product_}, {"card_level", "1"}, {"phone_number", "5550100"},
                                      {"phone_area_code", "1"}, {"share_quota_id", a_quota_}}},
      {"/v1/card/share-quota/card/limit", {{"card_id", a_shared_card_}, {"user_id", a_shared_user_},
                                           {"card_limit", "500.00"}}},
  };
  for (const Case& c : musepay) {
    Reply reply = b_->call(c.path, c.body);
    EXPECT_TRUE(musepay_not_found(reply)) << c.path << " " << bj::serialize(c.body) << " -> " << reply.status << " "
                                          << reply.body;
  }
  Reply pin = b_->call("/v1/card/change-pin", bj::object{{"card_id", card}, {"user_id", user},
                                                         {"card_pin", *platform_key->encrypt_pkcs1_base64("1234")}});
  EXPECT_TRUE(musepay_not_found(pin)) << pin.body;

  // The simulator: problem+json 404 for every id-taking route.
  const std::string auth_path = "/sim/v1/authorizations/" + a_auth_;
  int key = 0;
  for (const auto& [method, path, body] : std::vector<std::tuple<std::string, std::string, bj::object>>{
           {"GET", auth_path, {}},
           {"POST", auth_path + "/capture", {}},
           {"POST", auth_path + "/capture", {{"amount", "1.00"}}},
           {"POST", auth_path + "/reverse", {}},
           {"POST", auth_path + "/reverse", {{"amount", "1.00"}}},
           {"POST", auth_path + "/expire", {}},
           {"POST", "/sim/v1/refunds", {{"authorization_id", a_auth_}, {"amount", "1.00"}}},
           {"POST", "/sim/v1/refunds", {{"card_id", a_card_}, {"amount", "1.00"}, {"currency", "USD"}}},
       }) {
    Reply reply = sim(b_key_, method, path, body, "b-sim-" + std::to_string(++key));
    EXPECT_EQ(reply.status, 404) << method << " " << path << " " << bj::serialize(body) << " -> " << reply.body;
    EXPECT_EQ(reply.content_type, "application/problem+json") << path;
  }
  // An authorization on A's card by B is the network's "unknown card" (14): declined,
  // nothing held, and the card is not named back.
  Reply foreign = sim(b_key_, "POST", "/sim/v1/authorizations",
                      bj::object{{"card_id", a_card_}, {"amount", "1.00"}, {"currency", "USD"}}, "b-sim-auth");
  EXPECT_TRUE(foreign.status == 404 || (foreign.status == 201 && foreign.text("status") == "DECLINED" &&
                                        foreign.text("response_code") == "14"))
      << foreign.body;
  if (foreign.status == 201) {
    EXPECT_TRUE(foreign["card_id"].is_null()) << foreign.body;
    EXPECT_TRUE(foreign["available_after"].is_null()) << foreign.body;
  }

  // HashDT (/issuing/api/v1): the x-* headers name A's holder, card and wallet.
  std::string wallet;
  {
    auto connection = database_->connect();
    auto rows = connection->query("SELECT account_id FROM accounts WHERE kind = 'card' AND owner_id = ?",
                                  std::vector<storage::SqlValue>{a_card_});
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 1u);
    wallet = (*rows)[0].text(0);
  }
  const bj::object limit_body{{"amount_limit", 5}, {"amount_limit_period", "DAY"}, {"transaction_type", "PURCHASE"},
                              {"currency_code", "USD"}};
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/issuing/api/v1/cardholder"}, {"GET", "/issuing/api/v1/card"}, {"GET", "/issuing/api/v1/card/limit"},
           {"POST", "/issuing/api/v1/card/limit"}, {"PATCH", "/issuing/api/v1/card/limit"},
           {"DELETE", "/issuing/api/v1/card/limit"}, {"POST", "/issuing/api/v1/card"}}) {
    Headers headers{{"x-api-key", b_key_},        {"x-product-id", product_},     {"x-cardholder-id", a_user_},
                    {"x-wallet-id", wallet},      {"x-card-id", a_card_},         {"x-client-id", "client-b"},
                    {"x-request-id", "b-hashdt-" + std::to_string(++key)}};
    const std::string body = method == "GET"                   ? std::string()
                             : path == "/issuing/api/v1/card" ? std::string(R"({"card_type":"virtual"})")
                                                              : bj::serialize(limit_body);
    Reply reply = call(method, path, body, headers);
    EXPECT_EQ(reply.status, 404) << method << " " << path << " -> " << reply.body;
    EXPECT_EQ(reply.body.find(a_card_), std::string::npos) << method << " " << path << " -> " << reply.body;
  }

  expect_same(api_before, api_view());
  expect_same(rows_before, database_view());
}

TEST_P(Isolation, AnotherMerchantsPanIsAnUnknownCard) {
  // A's full PAN, as A's card holder would see it.
  Reply link = a_->call("/v1/card/card-sensitive-info",
                        bj::object{{"card_id", a_card_}, {"user_id", a_user_}, {"ip_address", "127.0.0.1"}});
  ASSERT_EQ(link.status, 200) << link.body;
  const std::string url(link["data"].at("url").as_string());
  Reply shown = call("GET", url.substr(url.find("/v1/")));
  ASSERT_EQ(shown.status, 200) << shown.body;
  const auto rows_before = database_view();
  Reply foreign = sim(b_key_, "POST", "/sim/v1/authorizations",
                      bj::object{{"pan", shown.text("card_number")},
                                 {"expiry_month", std::stoi(shown.text("expiry_month"))},
                                 {"expiry_year", std::stoi(shown.text("expiry_year"))},
                                 {"cvv", shown.text("security_code")},
                                 {"amount", "1.00"},
                                 {"currency", "USD"}},
                      "b-pan-auth");
  EXPECT_TRUE(foreign.status == 404 || (foreign.status == 201 && foreign.text("status") == "DECLINED" &&
                                        foreign.text("response_code") == "14"))
      << foreign.body;
  if (foreign.status == 201) {
    EXPECT_TRUE(foreign["card_id"].is_null()) << foreign.body;
  }
  expect_same(rows_before, database_view());
}

TEST_P(Isolation, ListsShowOnlyTheCallersObjects) {
  // B gets a quota and an order of its own, so that both lists have something to hide.
  Reply quota = b_->call("/v1/card/share-quota/quota/create",
                         bj::object{{"request_id", "b-quota-1"}, {"card_product_id", product_}, {"card_level", "1"},
                                    {"share_quota_name", "B team"}});
  ASSERT_EQ(quota.status, 200) << quota.body;
  const std::string b_quota(quota["data"].at("share_quota_id").as_string());
  ASSERT_EQ(b_->call("/v1/card/share-quota/quota/tx/adjustment",
                     bj::object{{"share_quota_id", b_quota}, {"request_id", "b-fund-1"}, {"amount", "5.00"}})
                .status,
            200);

  auto ids_in = [](const Reply& reply, const char* id_field) {
    std::set<std::string> ids;
    if (reply.status != 200) return ids;
    for (const auto& row : reply["data"].at("data").as_array()) ids.insert(std::string(row.at(id_field).as_string()));
    return ids;
  };
  struct Side {
    MusePayClient* client;
    std::string own_quota;
    std::string other_quota;
    std::string other_fund_request;
  };
  for (const Side& side : {Side{b_.get(), b_quota, a_quota_, "a-fund-1"}, Side{a_.get(), a_quota_, b_quota, "b-fund-1"}}) {
    Reply quotas = side.client->call("/v1/card/share-quota/quota/list", bj::object{});
    ASSERT_EQ(quotas.status, 200) << quotas.body;
    EXPECT_EQ(ids_in(quotas, "share_quota_id"), std::set<std::string>{side.own_quota}) << quotas.body;
    EXPECT_EQ(quotas["data"].at("total").as_int64(), 1) << quotas.body;
    Reply filtered = side.client->call("/v1/card/share-quota/quota/list", bj::object{{"share_quota_id", side.other_quota}});
    ASSERT_EQ(filtered.status, 200) << filtered.body;
    EXPECT_EQ(filtered["data"].at("total").as_int64(), 0) << filtered.body;
    EXPECT_TRUE(filtered["data"].at("data").as_array().empty()) << filtered.body;

    Reply orders = side.client->call("/v1/card/share-quota/quota/tx/list", bj::object{});
    ASSERT_EQ(orders.status, 200) << orders.body;
    for (const auto& row : orders["data"].at("data").as_array()) {
      EXPECT_EQ(row.at("share_quota_id").as_string(), side.own_quota) << orders.body;
    }
    EXPECT_EQ(orders["data"].at("total").as_int64(), 1) << orders.body;
    for (const bj::object& filter : {bj::object{{"share_quota_id", side.other_quota}},
                                     bj::object{{"request_id", side.other_fund_request}}}) {
      Reply none = side.client->call("/v1/card/share-quota/quota/tx/list", filter);
      ASSERT_EQ(none.status, 200) << none.body;
      EXPECT_EQ(none["data"].at("total").as_int64(), 0) << bj::serialize(filter) << " -> " << none.body;
    }
  }

  // B's transactions are B's card's only, whatever filter names A's order.
  Reply own = b_->call("/v1/cardaccount/transactions", bj::object{{"card_id", b_card_}, {"user_id", b_user_}});
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(own["data"].at("total_count").as_int64(), 1) << own.body;  // its top-up
  for (const auto& tx : own["data"].at("transactions").as_array()) EXPECT_NE(tx.at("orderNo"), bj::value(a_order_no_));
  Reply filtered = b_->call("/v1/cardaccount/transactions",
                            bj::object{{"card_id", b_card_}, {"user_id", b_user_}, {"order_no", a_order_no_}});
  ASSERT_EQ(filtered.status, 200) << filtered.body;
  EXPECT_EQ(filtered["data"].at("total_count").as_int64(), 0) << filtered.body;
}

TEST_P(Isolation, IdempotencyKeysArePerMerchant) {
  // B reuses A's request ids and Idempotency-Key: each is B's own new request, never a
  // replay of A's response (which would show A's objects).
  Reply topped = b_->call("/v1/cardaccount/topup", bj::object{{"request_id", "a-topup-1"}, {"card_id", b_card_},
                                                              {"user_id", b_user_}, {"amount", "100.00"},
                                                              {"currency", "USD"}});
  ASSERT_EQ(topped.status, 200) << topped.body;
  EXPECT_NE(topped["data"].at("order_no").as_string(), a_order_no_);
  Reply card = b_->call("/v1/card/query", bj::object{{"card_id", b_card_}, {"user_id", b_user_}});
  EXPECT_EQ(card["data"].at("card_available_balance").as_string(), "200.00") << card.body;

  Reply quota = b_->call("/v1/card/share-quota/quota/create",
                         bj::object{{"request_id", "a-quota-1"}, {"card_product_id", product_}, {"card_level", "1"},
                                    {"share_quota_name", "A team"}});
  ASSERT_EQ(quota.status, 200) << quota.body;
  EXPECT_NE(quota["data"].at("share_quota_id").as_string(), a_quota_);

  Reply authorized = sim(b_key_, "POST", "/sim/v1/authorizations",
                         bj::object{{"card_id", b_card_}, {"amount", "10.00"}, {"currency", "USD"}}, "a-auth-1");
  ASSERT_EQ(authorized.status, 201) << authorized.body;
  EXPECT_NE(authorized.text("authorization_id"), a_auth_);
  EXPECT_EQ(authorized.text("card_id"), b_card_);

  Reply applied = b_->call("/v1/card/share-quota/apply",
                           bj::object{{"user_id", a_shared_user_}, {"request_id", "a-shared-1"},
                                      {"card_product_id", product_}, {"card_level", "1"}, {"phone_number", "5550100"},
                                      {"phone_area_code", "1"}, {"share_quota_id", a_quota_}});
  EXPECT_TRUE(musepay_not_found(applied)) << applied.body;  // not A's stored answer
  EXPECT_EQ(main_balance(a_id_), "700.00");                  // 1000 - 100 top-up - 200 quota
  EXPECT_EQ(main_balance(b_id_), "800.00");                  // 1000 - 2 x 100 top-ups
}

TEST_P(Isolation, BodiesCannotSetFieldsTheApiDoesNotOffer) {
  const bj::object extras{{"merchant_id", b_id_},   {"card_status", "ACTIVE"}, {"balance", "999"},
                          {"status", "FAILED"},      {"kyc_status", "REJECTED"}, {"card_available_balance", "999"},
                          {"funding_kind", "merchant_main"}, {"fee", "-5.00"}, {"held_minor", 999}};
  auto with_extras = [&extras](bj::object body) {
    for (const auto& member : extras) body.emplace(member.key(), member.value());
    return body;
  };

  // A holder: A's, KYC passed, with the id the server chose.
  bj::object holder_body{{"user_xid", "extra-holder"}, {"email", "extra@example.test"}, {"user_id", "chosen-user"},
                         {"individual", bj::object{{"first_name", "Eve"}, {"last_name", "Extra"},
                                                   {"date_of_birth", "1990-01-01"}}}};
  Reply holder = a_->call("/v1/carduser/create", with_extras(holder_body));
  ASSERT_TRUE(holder.status == 200 || holder.status == 400) << holder.body;
  std::string user_id;
  if (holder.status == 200) {
    user_id = std::string(holder["data"].at("user_id").as_string());
    EXPECT_NE(user_id, "chosen-user");
    EXPECT_EQ(holder["data"].at("kyc_status").as_string(), "PASSED") << holder.body;
    EXPECT_TRUE(musepay_not_found(b_->call("/v1/carduser/query", bj::object{{"user_id", user_id}})));
  } else {
    user_id = a_->create_holder("extra-holder-2");
  }

  // A physical card stays PENDING_ACTIVE with nothing on it, and is A's.
  Reply applied = a_->call("/v1/card/apply", with_extras(bj::object{{"user_id", user_id}, {"request_id", "extra-apply"},
                                                                     {"card_product_id", physical_product_},
                                                                     {"card_level", "1"}, {"phone_number", "5550100"},
                                                                     {"phone_area_code", "1"}, {"card_id", "chosen-card"},
                                                                     {"apply_status", "AUDIT_PASS"}}));
  ASSERT_TRUE(applied.status == 200 || applied.status == 400) << applied.body;
  if (applied.status == 200) {
    EXPECT_EQ(applied["data"].at("apply_status").as_string(), "APPLYING") << applied.body;
    Reply result = a_->wait_for_application(user_id, "extra-apply");
    ASSERT_EQ(result["data"].at("apply_status").as_string(), "AUDIT_PASS") << result.body;
    const std::string card_id(result["data"].at("card_id").as_string());
    EXPECT_NE(card_id, "chosen-card");
    Reply card = a_->call("/v1/card/query", bj::object{{"card_id", card_id}, {"user_id", user_id}});
    ASSERT_EQ(card.status, 200) << card.body;
    EXPECT_EQ(card["data"].at("card_status").as_string(), "PENDING_ACTIVE") << card.body;
    EXPECT_EQ(card["data"].at("card_available_balance").as_string(), "0.00") << card.body;
    EXPECT_TRUE(musepay_not_found(b_->call("/v1/card/query", bj::object{{"card_id", card_id}, {"user_id", user_id}})));
  }

  // A top-up moves exactly its amount from A's main account, with no fee, whatever else is sent.
  Reply topped = a_->call("/v1/cardaccount/topup",
                          with_extras(bj::object{{"request_id", "extra-topup"}, {"card_id", a_card_}, {"user_id", a_user_},
                                                 {"amount", "5.00"}, {"currency", "USD"}, {"order_no", "chosen-order"}}));
  ASSERT_TRUE(topped.status == 200 || topped.status == 400) << topped.body;
  if (topped.status == 200) {
    EXPECT_EQ(topped["data"].at("amount").as_string(), "5.00");
    EXPECT_EQ(topped["data"].at("fee").as_string(), "0.00");
    EXPECT_EQ(topped["data"].at("status").as_string(), "SUCCESS");
    EXPECT_NE(topped["data"].at("order_no").as_string(), "chosen-order");
  }
  Reply card = a_->call("/v1/card/query", bj::object{{"card_id", a_card_}, {"user_id", a_user_}});
  EXPECT_EQ(card["data"].at("card_available_balance").as_string(), topped.status == 200 ? "95.00" : "90.00");
  EXPECT_EQ(card["data"].at("card_status").as_string(), "ACTIVE");

  // A quota is created NORMAL, empty, in its product's currency, with the server's id.
  Reply quota = a_->call("/v1/card/share-quota/quota/create",
                         with_extras(bj::object{{"request_id", "extra-quota"}, {"card_product_id", product_},
                                                {"card_level", "1"}, {"share_quota_name", "Extra"},
                                                {"share_quota_id", "chosen-quota"}, {"share_quota_status", "FROZEN"},
                                                {"available_quota_balance", "999"}, {"currency", "EUR"}}));
  ASSERT_TRUE(quota.status == 200 || quota.status == 400) << quota.body;
  if (quota.status == 200) {
    const std::string quota_id(quota["data"].at("share_quota_id").as_string());
    EXPECT_NE(quota_id, "chosen-quota");
    EXPECT_EQ(quota["data"].at("share_quota_status").as_string(), "NORMAL");
    Reply listed = a_->call("/v1/card/share-quota/quota/list", bj::object{{"share_quota_id", quota_id}});
    ASSERT_EQ(listed.status, 200) << listed.body;
    const auto& row = listed["data"].at("data").as_array().at(0);
    EXPECT_EQ(row.at("share_quota_currency").as_string(), "USD");
    EXPECT_EQ(row.at("available_quota_balance").as_string(), "0.00");
    EXPECT_EQ(row.at("share_quota_status").as_string(), "NORMAL");
    Reply b_list = b_->call("/v1/card/share-quota/quota/list", bj::object{{"share_quota_id", quota_id}});
    EXPECT_EQ(b_list["data"].at("total").as_int64(), 0) << b_list.body;
  }

  // An adjustment moves exactly its amount between A's main account and A's quota.
  Reply adjusted = a_->call("/v1/card/share-quota/quota/tx/adjustment",
                            with_extras(bj::object{{"share_quota_id", a_quota_}, {"request_id", "extra-adjust"},
                                                   {"amount", "7.00"}, {"currency", "EUR"},
                                                   {"share_quota_status", "FROZEN"}}));
  ASSERT_TRUE(adjusted.status == 200 || adjusted.status == 400) << adjusted.body;
  const bool adjusted_ok = adjusted.status == 200;
  if (adjusted_ok) {
    EXPECT_EQ(adjusted["data"].at("amount").as_string(), "7.00");
  }
  Reply quota_row = a_->call("/v1/card/share-quota/quota/list", bj::object{{"share_quota_id", a_quota_}});
  ASSERT_EQ(quota_row.status, 200) << quota_row.body;
  const auto& a_quota_row = quota_row["data"].at("data").as_array().at(0);
  EXPECT_EQ(a_quota_row.at("share_quota_status").as_string(), "NORMAL");
  EXPECT_EQ(a_quota_row.at("share_quota_currency").as_string(), "USD");
  // 200 funded - 0 used, + 7 when the adjustment was taken.
  EXPECT_EQ(a_quota_row.at("available_quota_balance").as_string(), adjusted_ok ? "207.00" : "200.00");

  // A shared card starts with no limit, whatever limit the application names.
  const std::string shared_user = a_->create_holder("extra-shared");
  Reply shared = a_->call("/v1/card/share-quota/apply",
                          with_extras(bj::object{{"user_id", shared_user}, {"request_id", "extra-shared"},
                                                 {"card_product_id", product_}, {"card_level", "1"},
                                                 {"phone_number", "5550100"}, {"phone_area_code", "1"},
                                                 {"share_quota_id", a_quota_}, {"card_limit", "999.00"}}));
  ASSERT_TRUE(shared.status == 200 || shared.status == 400) << shared.body;
  if (shared.status == 200) {
    Reply result = a_->wait_for_application(shared_user, "extra-shared");
    ASSERT_EQ(result["data"].at("apply_status").as_string(), "AUDIT_PASS") << result.body;
    Reply shared_card = a_->call("/v1/card/query", bj::object{{"card_id", result["data"].at("card_id")},
                                                               {"user_id", shared_user}});
    ASSERT_EQ(shared_card.status, 200) << shared_card.body;
    EXPECT_EQ(shared_card["data"].at("card_available_balance").as_string(), "0.00") << shared_card.body;
  }

  // A daily limit is in the card's currency, whatever currency is sent.
  Reply limit = a_->call("/v1/card/limitChange", with_extras(bj::object{{"card_id", a_card_}, {"user_id", a_user_},
                                                                          {"daily_purchase_limit", "50.00"},
                                                                          {"currency", "EUR"}}));
  ASSERT_TRUE(limit.status == 200 || limit.status == 400) << limit.body;
  if (limit.status == 200) {
    EXPECT_EQ(limit["data"].at("currency").as_string(), "USD") << limit.body;
  }

  // An authorization's outcome is the engine's: B's card has 100.00, so 150.00 is declined
  // (51) whatever status, code or merchant the body claims, and it is B's.
  Reply declined = sim(b_key_, "POST", "/sim/v1/authorizations",
                       with_extras(bj::object{{"card_id", b_card_}, {"amount", "150.00"}, {"currency", "USD"},
                                              {"response_code", "00"}, {"available_after", "999"},
                                              {"approved_amount", "150.00"}}),
                       "extra-auth");
  ASSERT_EQ(declined.status, 201) << declined.body;
  EXPECT_EQ(declined.text("status"), "DECLINED") << declined.body;
  EXPECT_EQ(declined.text("response_code"), "51") << declined.body;
  EXPECT_EQ(sim(a_key_, "GET", "/sim/v1/authorizations/" + declined.text("authorization_id"), {}).status, 404);
  EXPECT_EQ(sim(b_key_, "GET", "/sim/v1/authorizations/" + declined.text("authorization_id"), {}).status, 200);

  // Admin deposits: the path names the merchant, a body's merchant_id does not.
  Reply deposited = admin("POST", "/admin/v1/merchants/" + a_id_ + "/deposits",
                          R"({"amount":"1.00","currency":"USD","merchant_id":")" + b_id_ + R"(","balance_after":"999"})",
                          {{"Idempotency-Key", "extra-deposit"}});
  ASSERT_TRUE(deposited.status == 201 || deposited.status == 422) << deposited.body;
  const bool deposited_ok = deposited.status == 201;

  // A's main account: 1000 - 100 top-up - 200 quota (SetUp) - the extra top-up, adjustment
  // and deposit where they were taken. B's: 1000 - 100, untouched by every extra field.
  std::int64_t a_main_cents = 70000 - (topped.status == 200 ? 500 : 0) - (adjusted_ok ? 700 : 0) + (deposited_ok ? 100 : 0);
  EXPECT_EQ(main_balance(a_id_), std::to_string(a_main_cents / 100) + "." + (a_main_cents % 100 < 10 ? "0" : "") +
                                     std::to_string(a_main_cents % 100));
  EXPECT_EQ(main_balance(b_id_), "900.00");
}

ISSUERD_E2E_SUITE(Isolation);

}  // namespace
}  // namespace issuerd::e2e
