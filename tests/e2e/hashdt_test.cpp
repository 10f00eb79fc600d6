// The HashDT dialect over real HTTP on both databases: every request example of
// seeds/hashdt-card-spend-limit.txt, each validation error, the ATM rules, the limits
// enforced by the authorization engine in every window (moved with the test clock), a
// limit set through MusePay's limitChange seen here, and the cardholder and card resources
// a HashDT client creates first.
#include <optional>

#include "musepay_client.h"

namespace issuerd::e2e {
namespace {

// What the limit headers name.
struct CardRef {
  std::string holder_id;
  std::string card_id;
  std::string wallet_id;
  std::string product_id;
};

class HashDt : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    std::tie(merchant_id_, api_key_) = create_merchant("HashDT Program");
    product_id_ = create_product();
    deposit(merchant_id_, "100000.00");
    musepay_ = std::make_unique<MusePayClient>(*this, merchant_id_, api_key_);
  }

  std::string next_key() { return "req-" + std::to_string(++request_counter_); }

  // A HashDT call with the api key (unless `headers` brings its own credentials).
  Reply hashdt(const std::string& method, const std::string& path, const std::optional<bj::object>& body,
               Headers headers, const std::string& version = "v1") {
    bool has_credentials = false;
    for (const auto& [name, value] : headers) has_credentials |= name == "x-api-key" || name == "Authorization";
    if (!has_credentials) headers.emplace_back("x-api-key", api_key_);
    return call(method, "/issuing/api/" + version + path, body ? bj::serialize(*body) : "", std::move(headers));
  }

  Reply create_holder(bj::object body, const std::string& key = {}) {
    return hashdt("POST", "/cardholder", body, {{"x-request-id", key.empty() ? next_key() : key}});
  }

  Reply create_card(const std::string& holder_id, const std::string& product_id, bj::object body,
                    const std::string& key = {}) {
    return hashdt("POST", "/card", body,
                  {{"x-cardholder-id", holder_id}, {"x-product-id", product_id}, {"x-request-id", key.empty() ? next_key() : key}});
  }

  // A new holder with a virtual card of `product_id` (the fixture's USD product by default).
  CardRef new_card(const std::string& product_id = {}) {
    const std::string product = product_id.empty() ? product_id_ : product_id;
    Reply holder = create_holder({{"first_name", "Ada"}, {"last_name", "Lovelace"}, {"email", "ada@example.test"}});
    EXPECT_EQ(holder.status, 200) << holder.body;
    if (holder.status != 200) return {};
    const std::string holder_id(holder["data"].at(0).at("cardholder_id").as_string());
    Reply card = create_card(holder_id, product, {{"card_type", "virtual"}});
    EXPECT_EQ(card.status, 200) << card.body;
    if (card.status != 200) return {};
    const bj::value& data = card["data"].at(0);
    return {holder_id, std::string(data.at("card_id").as_string()), std::string(data.at("wallet_id").as_string()), product};
  }

  // The seed's full header set.
  Headers limit_headers(const CardRef& card, const std::string& key) {
    return {{"x-api-key", api_key_},         {"x-product-id", card.product_id}, {"x-cardholder-id", card.holder_id},
            {"x-wallet-id", card.wallet_id}, {"x-card-id", card.card_id},       {"x-client-id", "client-1"},
            {"x-request-id", key},           {"Content-Type", "application/json"},
            {"Authorization", "Bearer access-token-from-the-vendor"}};
  }

  Reply limit(const std::string& method, const CardRef& card, const std::optional<bj::object>& body = std::nullopt,
              const std::string& key = {}) {
    return hashdt(method, "/card/limit", body, limit_headers(card, key.empty() ? next_key() : key));
  }

  // The first GET item with this period and type, or null.
  bj::value find_limit(const CardRef& card, const std::string& period, const std::string& type = "PURCHASE") {
    Reply list = limit("GET", card);
    EXPECT_EQ(list.status, 200) << list.body;
    if (list.status != 200) return nullptr;
    for (const bj::value& item : list["data"].as_array()) {
      if (item.at("amount_limit_period").as_string() == period && item.at("transaction_type").as_string() == type) return item;
    }
    return nullptr;
  }

  void top_up(const CardRef& card, const std::string& amount) {
    Reply reply = musepay_->call("/v1/cardaccount/topup", bj::object{{"request_id", next_key()}, {"card_id", card.card_id},
                                                                      {"user_id", card.holder_id}, {"amount", amount},
                                                                      {"currency", "USD"}});
    ASSERT_EQ(reply.status, 200) << reply.body;
  }

  // "APPROVED 00" / "DECLINED 61" for a simulated authorization of `amount` USD.
  std::string authorize(const CardRef& card, const std::string& amount, const std::string& type = "PURCHASE") {
    Reply reply = call("POST", "/sim/v1/authorizations",
                       bj::serialize(bj::object{{"card_id", card.card_id}, {"amount", amount}, {"currency", "USD"},
                                                {"transaction_type", type}}),
                       {{"x-api-key", api_key_}, {"Idempotency-Key", next_key()}});
    if (reply.status != 201 || !reply.json.is_object()) return "HTTP " + std::to_string(reply.status) + " " + reply.body;
    return reply.text("status") + " " + reply.text("response_code");
  }

  void set_clock(const std::string& now) {
    Reply reply = admin("POST", "/admin/v1/test/clock", bj::serialize(bj::object{{"now", now}}));
    ASSERT_EQ(reply.status, 200) << reply.body;
  }

  // A USD card funded with 1000 at `start`, a 100 PURCHASE limit of `period`, 60 spent:
  // 50 more is declined until the window ends (still at `last_moment`), and allowed at
  // `next_window` (when the window has an end).
  void expect_window(const std::string& period, const std::string& start, const std::string& last_moment,
                     const std::optional<std::string>& next_window) {
    SCOPED_TRACE(period);
    set_clock(start);
    const CardRef card = new_card();
    top_up(card, "1000.00");
    Reply set = limit("POST", card, bj::object{{"amount_limit_period", period}, {"amount_limit", 100},
                                               {"currency_code", "USD"}, {"transaction_type", "PURCHASE"}});
    ASSERT_EQ(set.status, 200) << set.body;
    EXPECT_EQ(authorize(card, "60.00"), "APPROVED 00");
    EXPECT_EQ(authorize(card, "50.00"), "DECLINED 61");
    EXPECT_EQ(authorize(card, "40.00"), "APPROVED 00");  // exactly at the limit
    EXPECT_EQ(authorize(card, "0.01"), "DECLINED 61");
    bj::value shown = find_limit(card, period);
    ASSERT_TRUE(shown.is_object());
    EXPECT_EQ(shown.at("used_amount").as_string(), "100.00");
    if (next_window) {
      EXPECT_EQ(shown.at("resets_at").as_string(), next_window->substr(0, 19) + ".000Z");
    } else {
      EXPECT_TRUE(shown.at("resets_at").is_null());
    }
    set_clock(last_moment);
    EXPECT_EQ(authorize(card, "50.00"), "DECLINED 61");
    if (!next_window) return;
    set_clock(*next_window);
    EXPECT_EQ(authorize(card, "50.00"), "APPROVED 00");
    EXPECT_EQ(find_limit(card, period).at("used_amount").as_string(), "50.00");
  }

  static std::string reason(const Reply& reply) {
    return reply.json.is_object() && reply.json.as_object().contains("reason") ? reply.text("reason") : "?";
  }
  static std::string field(const Reply& reply) {
    return reply.json.is_object() && reply.json.as_object().contains("field") ? reply.text("field") : "";
  }
  // "<status> <field>" of an error, checking the envelope on the way.
  static std::string error_of(const Reply& reply) {
    if (reply.json.is_object() && reply.status != 200) {
      EXPECT_EQ(reply.text("status"), "Error") << reply.body;
      EXPECT_EQ(reply["code"].as_int64(), reply.status) << reply.body;
      EXPECT_TRUE(reply["data"].is_array() && reply["data"].as_array().empty()) << reply.body;
    }
    return std::to_string(reply.status) + " " + field(reply);
  }

  std::string merchant_id_;
  std::string api_key_;
  std::string product_id_;
  std::unique_ptr<MusePayClient> musepay_;
  int request_counter_ = 0;
};

// ---- the seed's examples ----

TEST_P(HashDt, SeedExamplesCreateGetUpdateDelete) {
  const CardRef card = new_card();
  // POST, exactly as the seed sends it.
  Reply created = limit("POST", card, bj::object{{"amount_limit_period", "MONTH"}, {"amount_limit", 100},
                                                 {"currency_code", "USD"}, {"transaction_type", "ATM_CASH_WITHDRAWAL"}});
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.body,
            R"({"status":"Success","message":"Card spend limit has been set successfully.","code":200,"data":[]})");
  bj::value shown = find_limit(card, "MONTH", "ATM_CASH_WITHDRAWAL");
  ASSERT_TRUE(shown.is_object());
  EXPECT_EQ(shown.at("amount_limit").as_int64(), 100);
  EXPECT_EQ(shown.at("currency_code").as_string(), "USD");
  // PATCH, as the seed sends it (no currency_code).
  Reply updated = limit("PATCH", card, bj::object{{"amount_limit_period", "MONTH"}, {"amount_limit", 1000},
                                                  {"transaction_type", "ATM_CASH_WITHDRAWAL"}});
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.body,
            R"({"status":"Success","message":"Update card spend limit has been set successfully.","code":200,"data":[]})");
  EXPECT_EQ(find_limit(card, "MONTH", "ATM_CASH_WITHDRAWAL").at("amount_limit").as_int64(), 1000);
  // DELETE, with the seed's body.
  Reply deleted = limit("DELETE", card, bj::object{{"amount_limit_period", "MONTH"}, {"transaction_type", "ATM_CASH_WITHDRAWAL"}});
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(deleted.body, R"({"status":"Success","message":"Card spend limit deleted successfully.","code":200,"data":[]})");
  Reply empty = limit("GET", card);
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ(empty.body, R"({"status":"Success","message":"Card spending limit fetched successfully.","code":200,"data":[]})");
}

TEST_P(HashDt, SeedGetExampleListsEveryLimit) {
  set_clock("2027-03-10T10:00:00Z");
  const CardRef card = new_card();
  for (const char* period : {"TRANSACTION", "DAY"}) {
    Reply set = limit("POST", card, bj::object{{"amount_limit_period", period}, {"amount_limit", 500000},
                                               {"currency_code", "USD"}, {"transaction_type", "PURCHASE"}});
    ASSERT_EQ(set.status, 200) << set.body;
  }
  // The seed's GET: no body, Content-Type sent anyway.
  Reply list = limit("GET", card);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.text("status"), "Success");
  EXPECT_EQ(list.text("message"), "Card spending limit fetched successfully.");
  EXPECT_EQ(list["code"].as_int64(), 200);
  const bj::array& data = list["data"].as_array();
  ASSERT_EQ(data.size(), 2u);
  const char* periods[] = {"DAY", "TRANSACTION"};  // the seed's order
  for (std::size_t i = 0; i < 2; ++i) {
    const bj::object& item = data[i].as_object();
    EXPECT_EQ(item.at("amount_limit").as_int64(), 500000);
    EXPECT_TRUE(item.at("active").as_bool());
    EXPECT_EQ(item.at("amount_limit_period").as_string(), periods[i]);
    EXPECT_EQ(item.at("transaction_type").as_string(), "PURCHASE");
    EXPECT_EQ(item.at("currency_code").as_string(), "USD");
    EXPECT_EQ(item.at("amount_limit_decimal").as_string(), "500000.00");
  }
  EXPECT_EQ(data[0].at("used_amount").as_string(), "0.00");
  EXPECT_EQ(data[0].at("resets_at").as_string(), "2027-03-11T00:00:00.000Z");
  EXPECT_TRUE(data[1].at("used_amount").is_null());
  EXPECT_TRUE(data[1].at("resets_at").is_null());
}

// ---- validation ----

TEST_P(HashDt, BodyValidationErrors) {
  const CardRef card = new_card();
  const bj::object good{{"amount_limit_period", "DAY"}, {"amount_limit", 100}, {"currency_code", "USD"},
                        {"transaction_type", "PURCHASE"}};
  struct Case {
    std::string name;
    bj::value value;  // null: the field removed
    std::string expected;
  };
  const std::vector<Case> cases{
      {"amount_limit_period", nullptr, "400 amount_limit_period"},
      {"amount_limit_period", "HOUR", "400 amount_limit_period"},
      {"amount_limit_period", "day", "400 amount_limit_period"},
      {"amount_limit_period", 5, "400 amount_limit_period"},
      {"amount_limit", nullptr, "400 amount_limit"},
      {"amount_limit", 0, "400 amount_limit"},
      {"amount_limit", -5, "400 amount_limit"},
      {"amount_limit", 1.5, "400 amount_limit"},
      {"amount_limit", "100", "400 amount_limit"},
      {"amount_limit", 18446744073709551615ull, "400 amount_limit"},
      {"amount_limit", 9223372036854775807ll, "400 amount_limit"},  // overflows minor units
      {"currency_code", nullptr, "400 currency_code"},
      {"currency_code", "US", "400 currency_code"},
      {"currency_code", "usd", "400 currency_code"},
      {"currency_code", "XYZ", "400 currency_code"},
      {"currency_code", "EUR", "400 currency_code"},  // not the card's currency
      {"transaction_type", "REFUND", "400 transaction_type"},
      {"transaction_type", 1, "400 transaction_type"},
  };
  for (const Case& c : cases) {
    bj::object body = good;
    if (c.value.is_null()) body.erase(c.name); else body[c.name] = c.value;
    Reply reply = limit("POST", card, body);
    EXPECT_EQ(error_of(reply), c.expected) << c.name << "=" << bj::serialize(c.value) << ": " << reply.body;
  }
  // Nothing was created by any of them.
  EXPECT_TRUE(limit("GET", card)["data"].as_array().empty());
  // transaction_type defaults to PURCHASE.
  bj::object no_type = good;
  no_type.erase("transaction_type");
  ASSERT_EQ(limit("POST", card, no_type).status, 200);
  EXPECT_TRUE(find_limit(card, "DAY", "PURCHASE").is_object());
  // PATCH: amount_limit required; currency_code optional but checked when sent.
  EXPECT_EQ(error_of(limit("PATCH", card, bj::object{{"amount_limit_period", "DAY"}})), "400 amount_limit");
  EXPECT_EQ(error_of(limit("PATCH", card, bj::object{{"amount_limit_period", "DAY"}, {"amount_limit", 5},
                                                     {"currency_code", "SGD"}})), "400 currency_code");
  EXPECT_EQ(limit("PATCH", card, bj::object{{"amount_limit_period", "DAY"}, {"amount_limit", 5}, {"currency_code", "USD"}}).status, 200);
  // DELETE: the period is required.
  EXPECT_EQ(error_of(limit("DELETE", card, bj::object{{"transaction_type", "PURCHASE"}})), "400 amount_limit_period");
  // Not JSON, not an object, no body at all.
  Headers headers = limit_headers(card, next_key());
  EXPECT_EQ(call("POST", "/issuing/api/v1/card/limit", "{oops", headers).status, 400);
  EXPECT_EQ(call("POST", "/issuing/api/v1/card/limit", "[1]", limit_headers(card, next_key())).status, 400);
  EXPECT_EQ(error_of(call("POST", "/issuing/api/v1/card/limit", "", limit_headers(card, next_key()))),
            "400 amount_limit_period");
}

TEST_P(HashDt, HeaderCredentialAndVersionErrors) {
  const CardRef card = new_card();
  const bj::object body{{"amount_limit_period", "DAY"}, {"amount_limit", 100}, {"currency_code", "USD"}};
  for (const char* required : {"x-product-id", "x-cardholder-id", "x-wallet-id", "x-card-id", "x-request-id"}) {
    for (const char* method : {"POST", "GET", "PATCH", "DELETE"}) {
      Headers headers;
      for (auto& header : limit_headers(card, next_key())) {
        if (header.first != required) headers.push_back(header);
      }
      Reply reply = call(method, "/issuing/api/v1/card/limit", method == std::string("GET") ? "" : bj::serialize(body), headers);
      EXPECT_EQ(error_of(reply), std::string("400 ") + required) << method << ": " << reply.body;
    }
  }
  // Credentials: none, wrong, or the api key as a Bearer token (accepted).
  Headers no_key;
  for (auto& header : limit_headers(card, next_key())) {
    if (header.first != "x-api-key" && header.first != "Authorization") no_key.push_back(header);
  }
  EXPECT_EQ(error_of(call("GET", "/issuing/api/v1/card/limit", "", no_key)), "401 ");
  Headers wrong = no_key;
  wrong.emplace_back("x-api-key", "isk_wrong");
  EXPECT_EQ(error_of(call("GET", "/issuing/api/v1/card/limit", "", wrong)), "401 ");
  Headers bearer = no_key;
  bearer.emplace_back("Authorization", "Bearer " + api_key_);
  EXPECT_EQ(call("GET", "/issuing/api/v1/card/limit", "", bearer).status, 200);
  // Versions other than v1.
  Reply v2 = hashdt("GET", "/card/limit", std::nullopt, limit_headers(card, next_key()), "v2");
  EXPECT_EQ(error_of(v2), "404 version");
  EXPECT_NE(v2.text("message").find("v1"), std::string::npos);
  // Content-Type when a body is sent: application/json, parameters allowed.
  Headers text = limit_headers(card, next_key());
  std::erase_if(text, [](const auto& header) { return header.first == "Content-Type"; });
  text.emplace_back("Content-Type", "text/plain");
  EXPECT_EQ(error_of(call("POST", "/issuing/api/v1/card/limit", bj::serialize(body), text)), "415 Content-Type");
  Headers charset = limit_headers(card, next_key());
  std::erase_if(charset, [](const auto& header) { return header.first == "Content-Type"; });
  charset.emplace_back("Content-Type", "Application/JSON; charset=utf-8");
  EXPECT_EQ(call("POST", "/issuing/api/v1/card/limit", bj::serialize(body), charset).status, 200);
}

TEST_P(HashDt, HeadersMustNameTheCallersCard) {
  const CardRef card = new_card();
  const CardRef other_holders = new_card();
  const bj::object body{{"amount_limit_period", "DAY"}, {"amount_limit", 100}, {"currency_code", "USD"}};
  auto with = [&](CardRef changed) { return limit("POST", changed, body); };
  CardRef wrong = card;
  wrong.holder_id = other_holders.holder_id;
  EXPECT_EQ(error_of(with(wrong)), "404 x-card-id");
  wrong = card;
  wrong.card_id = "no-such-card";
  EXPECT_EQ(error_of(with(wrong)), "404 x-card-id");
  wrong = card;
  wrong.product_id = create_product("USD", "virtual", "411111");
  EXPECT_EQ(error_of(with(wrong)), "404 x-product-id");
  wrong = card;
  wrong.wallet_id = other_holders.wallet_id;
  EXPECT_EQ(error_of(with(wrong)), "404 x-wallet-id");
  // Another merchant's api key sees none of it.
  auto [other_merchant, other_key] = create_merchant("Someone Else");
  Headers theirs = limit_headers(card, next_key());
  for (auto& header : theirs) {
    if (header.first == "x-api-key") header.second = other_key;
  }
  EXPECT_EQ(error_of(call("GET", "/issuing/api/v1/card/limit", "", theirs)), "404 x-card-id");
  EXPECT_EQ(error_of(call("POST", "/issuing/api/v1/card/limit", bj::serialize(body), theirs)), "404 x-card-id");
  EXPECT_TRUE(limit("GET", card)["data"].as_array().empty());
}

TEST_P(HashDt, OneLimitPerPeriodAndTypeAndIdempotentRetries) {
  const CardRef card = new_card();
  const bj::object body{{"amount_limit_period", "WEEK"}, {"amount_limit", 300}, {"currency_code", "USD"},
                        {"transaction_type", "PURCHASE"}};
  Reply first = limit("POST", card, body, "create-week");
  ASSERT_EQ(first.status, 200) << first.body;
  // The same x-request-id and body: the first answer again (fields in another order too).
  const bj::object reordered{{"transaction_type", "PURCHASE"}, {"currency_code", "USD"}, {"amount_limit", 300},
                             {"amount_limit_period", "WEEK"}};
  Reply replay = limit("POST", card, reordered, "create-week");
  EXPECT_EQ(replay.status, 200);
  EXPECT_EQ(replay.body, first.body);
  // The same x-request-id with another body: refused.
  bj::object changed = body;
  changed["amount_limit"] = 400;
  Reply reused = limit("POST", card, changed, "create-week");
  EXPECT_EQ(error_of(reused), "409 ");
  EXPECT_EQ(reason(reused), "idempotency_key_reused");
  // A second POST for the same pair with a new key: 409, and the limit is unchanged.
  Reply second = limit("POST", card, changed);
  EXPECT_EQ(error_of(second), "409 amount_limit_period");
  EXPECT_EQ(reason(second), "limit_exists");
  EXPECT_EQ(find_limit(card, "WEEK").at("amount_limit").as_int64(), 300);
  // Another type for the same period is another limit.
  bj::object atm_month{{"amount_limit_period", "MONTH"}, {"amount_limit", 300}, {"currency_code", "USD"},
                       {"transaction_type", "ATM_CASH_WITHDRAWAL"}};
  EXPECT_EQ(limit("POST", card, atm_month).status, 200);
  atm_month["transaction_type"] = "PURCHASE";
  EXPECT_EQ(limit("POST", card, atm_month).status, 200);
  EXPECT_EQ(limit("GET", card)["data"].as_array().size(), 3u);
  // PATCH and DELETE of a limit that does not exist: 404.
  const bj::object year{{"amount_limit_period", "YEAR"}, {"amount_limit", 10}};
  EXPECT_EQ(error_of(limit("PATCH", card, year)), "404 amount_limit_period");
  EXPECT_EQ(error_of(limit("DELETE", card, bj::object{{"amount_limit_period", "YEAR"}})), "404 amount_limit_period");
  // DELETE, replayed with its key, answers the same; a new DELETE finds nothing; POST again works.
  const bj::object week{{"amount_limit_period", "WEEK"}, {"transaction_type", "PURCHASE"}};
  Reply deleted = limit("DELETE", card, week, "delete-week");
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(limit("DELETE", card, week, "delete-week").body, deleted.body);
  EXPECT_EQ(error_of(limit("DELETE", card, week)), "404 amount_limit_period");
  EXPECT_EQ(limit("POST", card, body).status, 200);
}

// ---- ATM ----

TEST_P(HashDt, AtmPeriodsAndCaps) {
  const CardRef usd = new_card();
  auto atm = [&](const CardRef& card, const std::string& period, std::int64_t amount, const std::string& currency) {
    return limit("POST", card, bj::object{{"amount_limit_period", period}, {"amount_limit", amount},
                                          {"currency_code", currency}, {"transaction_type", "ATM_CASH_WITHDRAWAL"}});
  };
  for (const char* period : {"WEEK", "YEAR", "LIFETIME", "TRANSACTION"}) {
    EXPECT_EQ(error_of(atm(usd, period, 100, "USD")), "400 amount_limit_period") << period;
    EXPECT_EQ(error_of(limit("DELETE", usd, bj::object{{"amount_limit_period", period},
                                                       {"transaction_type", "ATM_CASH_WITHDRAWAL"}})),
              "400 amount_limit_period");
  }
  EXPECT_EQ(error_of(atm(usd, "DAY", 3751, "USD")), "400 amount_limit");
  EXPECT_EQ(error_of(atm(usd, "MONTH", 7501, "USD")), "400 amount_limit");
  EXPECT_EQ(atm(usd, "DAY", 3750, "USD").status, 200);
  EXPECT_EQ(atm(usd, "MONTH", 7500, "USD").status, 200);
  // PATCH keeps within the cap too.
  EXPECT_EQ(error_of(limit("PATCH", usd, bj::object{{"amount_limit_period", "DAY"}, {"amount_limit", 3751},
                                                    {"transaction_type", "ATM_CASH_WITHDRAWAL"}})),
            "400 amount_limit");
  EXPECT_EQ(find_limit(usd, "DAY", "ATM_CASH_WITHDRAWAL").at("amount_limit").as_int64(), 3750);
  // Purchases have no cap.
  EXPECT_EQ(limit("POST", usd, bj::object{{"amount_limit_period", "DAY"}, {"amount_limit", 1000000},
                                          {"currency_code", "USD"}}).status, 200);
  // SGD caps.
  const CardRef sgd = new_card(create_product("SGD", "virtual", "455555"));
  EXPECT_EQ(error_of(atm(sgd, "DAY", 5001, "SGD")), "400 amount_limit");
  EXPECT_EQ(error_of(atm(sgd, "MONTH", 10001, "SGD")), "400 amount_limit");
  EXPECT_EQ(atm(sgd, "DAY", 5000, "SGD").status, 200);
  EXPECT_EQ(atm(sgd, "MONTH", 10000, "SGD").status, 200);
  // Other currencies: no cap.
  const CardRef eur = new_card(create_product("EUR", "virtual", "466666"));
  EXPECT_EQ(atm(eur, "DAY", 1000000, "EUR").status, 200);
  EXPECT_EQ(atm(eur, "MONTH", 2000000, "EUR").status, 200);
}

TEST_P(HashDt, AtmLimitIsEnforcedOnWithdrawalsOnly) {
  set_clock("2027-03-10T10:00:00Z");
  const CardRef card = new_card();
  top_up(card, "1000.00");
  // No ATM limit set: the vendor's default is informational, nothing is enforced.
  EXPECT_EQ(authorize(card, "400.00", "ATM_CASH_WITHDRAWAL"), "APPROVED 00");
  Reply set = limit("POST", card, bj::object{{"amount_limit_period", "DAY"}, {"amount_limit", 500},
                                             {"currency_code", "USD"}, {"transaction_type", "ATM_CASH_WITHDRAWAL"}});
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(authorize(card, "100.01", "ATM_CASH_WITHDRAWAL"), "DECLINED 61");
  EXPECT_EQ(authorize(card, "100.01", "PURCHASE"), "APPROVED 00");
  EXPECT_EQ(find_limit(card, "DAY", "ATM_CASH_WITHDRAWAL").at("used_amount").as_string(), "400.00");
  set_clock("2027-03-11T00:00:00Z");
  EXPECT_EQ(authorize(card, "100.01", "ATM_CASH_WITHDRAWAL"), "APPROVED 00");
}

// ---- enforcement in every window ----

TEST_P(HashDt, DayLimitResetsAtMidnightUtc) {
  expect_window("DAY", "2027-03-10T10:00:00Z", "2027-03-10T23:59:59.999Z", "2027-03-11T00:00:00Z");
}

TEST_P(HashDt, WeekLimitResetsOnSunday) {
  // 2027-03-10 is a Wednesday; the week runs from Sunday 03-07 to Sunday 03-14.
  expect_window("WEEK", "2027-03-10T10:00:00Z", "2027-03-13T23:59:59.999Z", "2027-03-14T00:00:00Z");
}

TEST_P(HashDt, MonthLimitResetsOnTheFirst) {
  expect_window("MONTH", "2027-03-10T10:00:00Z", "2027-03-31T23:59:59.999Z", "2027-04-01T00:00:00Z");
}

TEST_P(HashDt, YearLimitResetsOnJanuaryFirst) {
  expect_window("YEAR", "2027-03-10T10:00:00Z", "2027-12-31T23:59:59.999Z", "2028-01-01T00:00:00Z");
}

TEST_P(HashDt, LifetimeLimitNeverResets) {
  expect_window("LIFETIME", "2027-03-10T10:00:00Z", "2029-12-31T23:59:59Z", std::nullopt);
}

TEST_P(HashDt, TransactionLimitCapsEachAuthorization) {
  set_clock("2027-03-10T10:00:00Z");
  const CardRef card = new_card();
  top_up(card, "1000.00");
  Reply set = limit("POST", card, bj::object{{"amount_limit_period", "TRANSACTION"}, {"amount_limit", 100},
                                             {"currency_code", "USD"}});
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(authorize(card, "100.01"), "DECLINED 61");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(authorize(card, "100.00"), "APPROVED 00");  // nothing accumulates
  bj::value shown = find_limit(card, "TRANSACTION");
  EXPECT_TRUE(shown.at("used_amount").is_null());
  EXPECT_TRUE(shown.at("resets_at").is_null());
  // PATCH lowers it for the next authorization; DELETE lifts it.
  ASSERT_EQ(limit("PATCH", card, bj::object{{"amount_limit_period", "TRANSACTION"}, {"amount_limit", 50}}).status, 200);
  EXPECT_EQ(authorize(card, "60.00"), "DECLINED 61");
  ASSERT_EQ(limit("DELETE", card, bj::object{{"amount_limit_period", "TRANSACTION"}}).status, 200);
  EXPECT_EQ(authorize(card, "150.00"), "APPROVED 00");
}

// ---- one control across dialects ----

TEST_P(HashDt, MusePayLimitChangeIsTheSameLimit) {
  set_clock("2027-03-10T10:00:00Z");
  const CardRef card = new_card();
  top_up(card, "1000.00");
  auto limit_change = [&](const std::string& amount) {
    Reply reply = musepay_->call("/v1/card/limitChange", bj::object{{"card_id", card.card_id}, {"user_id", card.holder_id},
                                                                   {"daily_purchase_limit", amount}});
    EXPECT_EQ(reply.status, 200) << reply.body;
  };
  limit_change("50");
  bj::value shown = find_limit(card, "DAY");
  ASSERT_TRUE(shown.is_object());
  EXPECT_EQ(shown.at("amount_limit").as_int64(), 50);
  EXPECT_TRUE(shown.at("active").as_bool());
  EXPECT_EQ(shown.at("currency_code").as_string(), "USD");
  // It exists here: POST is a conflict, PATCH changes it for MusePay too.
  EXPECT_EQ(error_of(limit("POST", card, bj::object{{"amount_limit_period", "DAY"}, {"amount_limit", 80},
                                                    {"currency_code", "USD"}})),
            "409 amount_limit_period");
  ASSERT_EQ(limit("PATCH", card, bj::object{{"amount_limit_period", "DAY"}, {"amount_limit", 70}}).status, 200);
  Reply query = musepay_->call("/v1/card/query", bj::object{{"card_id", card.card_id}, {"user_id", card.holder_id}});
  ASSERT_EQ(query.status, 200) << query.body;
  EXPECT_EQ(query["data"].at("daily_purchaseLimit").as_string(), "70.00");
  EXPECT_EQ(authorize(card, "70.01"), "DECLINED 61");
  // A limit with cents (MusePay allows them) shows whole units and the exact amount.
  limit_change("12.50");
  shown = find_limit(card, "DAY");
  EXPECT_EQ(shown.at("amount_limit").as_int64(), 12);
  EXPECT_EQ(shown.at("amount_limit_decimal").as_string(), "12.50");
  EXPECT_EQ(authorize(card, "12.51"), "DECLINED 61");
  EXPECT_EQ(authorize(card, "12.50"), "APPROVED 00");
  // Deleted here, gone for MusePay too.
  ASSERT_EQ(limit("DELETE", card, bj::object{{"amount_limit_period", "DAY"}}).status, 200);
  query = musepay_->call("/v1/card/query", bj::object{{"card_id", card.card_id}, {"user_id", card.holder_id}});
  EXPECT_TRUE(query["data"].at("daily_purchaseLimit").is_null());
}

// ---- cardholder and card ----

TEST_P(HashDt, CardholderCreateAndGet) {
  Reply created = create_holder({{"first_name", "Grace"}, {"last_name", "Hopper"}, {"email", "grace@example.test"},
                                 {"phone_number", "+6591234567"}, {"date_of_birth", "1906-12-09"},
                                 {"external_id", "crm-42"}}, "holder-1");
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.text("status"), "Success");
  const bj::object& data = created["data"].at(0).as_object();
  const std::string holder_id(data.at("cardholder_id").as_string());
  EXPECT_EQ(data.at("external_id").as_string(), "crm-42");
  EXPECT_EQ(data.at("kyc_status").as_string(), "PASSED");
  EXPECT_EQ(data.at("status").as_string(), "ACTIVE");
  Reply found = hashdt("GET", "/cardholder", std::nullopt, {{"x-cardholder-id", holder_id}});
  ASSERT_EQ(found.status, 200) << found.body;
  const bj::object& shown = found["data"].at(0).as_object();
  for (const char* name : {"cardholder_id", "external_id", "first_name", "last_name", "email", "phone_number",
                           "date_of_birth", "kyc_status", "status", "created_at"}) {
    EXPECT_EQ(bj::serialize(shown.at(name)), bj::serialize(data.at(name))) << name;
  }
  EXPECT_EQ(shown.at("date_of_birth").as_string(), "1906-12-09");
  EXPECT_EQ(shown.at("phone_number").as_string(), "+6591234567");
  // The same holder through MusePay.
  Reply musepay = musepay_->call("/v1/carduser/query", bj::object{{"user_xid", "crm-42"}});
  ASSERT_EQ(musepay.status, 200) << musepay.body;
  EXPECT_EQ(musepay["data"].at("user_id").as_string(), holder_id);
  // Replay, reuse of the external_id, validation, tenancy.
  const bj::object again{{"first_name", "Grace"}, {"last_name", "Hopper"}, {"email", "grace@example.test"},
                         {"phone_number", "+6591234567"}, {"date_of_birth", "1906-12-09"}, {"external_id", "crm-42"}};
  EXPECT_EQ(create_holder(again, "holder-1").body, created.body);
  EXPECT_EQ(error_of(create_holder(again)), "409 external_id");
  const bj::object base{{"first_name", "A"}, {"last_name", "B"}, {"email", "a@b.test"}};
  for (const auto& [name, value] : std::vector<std::pair<std::string, bj::value>>{
           {"first_name", nullptr}, {"last_name", ""}, {"email", nullptr}, {"email", "not-an-email"},
           {"phone_number", "12ab"}, {"date_of_birth", "1990-13-01"}, {"date_of_birth", "10/12/1990"},
           {"external_id", bj::value(std::string(65, 'x'))}, {"first_name", 7}}) {
    bj::object body = base;
    if (value.is_null()) body.erase(name); else body[name] = value;
    EXPECT_EQ(error_of(create_holder(body)), "400 " + name) << bj::serialize(value);
  }
  EXPECT_EQ(error_of(hashdt("POST", "/cardholder", base, {})), "400 x-request-id");
  EXPECT_EQ(error_of(hashdt("GET", "/cardholder", std::nullopt, {{"x-cardholder-id", "nobody"}})), "404 x-cardholder-id");
  EXPECT_EQ(error_of(hashdt("GET", "/cardholder", std::nullopt, {})), "400 x-cardholder-id");
  auto [other_merchant, other_key] = create_merchant("Other");
  EXPECT_EQ(error_of(hashdt("GET", "/cardholder", std::nullopt, {{"x-api-key", other_key}, {"x-cardholder-id", holder_id}})),
            "404 x-cardholder-id");
  EXPECT_EQ(error_of(hashdt("GET", "/cardholder", std::nullopt, {{"x-cardholder-id", holder_id}}, "v9")), "404 version");
}

TEST_P(HashDt, CardCreateAndGet) {
  Reply holder = create_holder({{"first_name", "Ada"}, {"last_name", "Lovelace"}, {"email", "ada@example.test"}});
  ASSERT_EQ(holder.status, 200) << holder.body;
  const std::string holder_id(holder["data"].at(0).at("cardholder_id").as_string());
  // card_type must be the product's form.
  EXPECT_EQ(error_of(create_card(holder_id, product_id_, {{"card_type", "physical"}})), "400 card_type");
  EXPECT_EQ(error_of(create_card(holder_id, product_id_, {{"card_type", "plastic"}})), "400 card_type");
  EXPECT_EQ(error_of(create_card(holder_id, product_id_, {})), "400 card_type");
  EXPECT_EQ(error_of(create_card(holder_id, product_id_, {{"card_type", "virtual"}, {"embossed_name", std::string(27, 'A')}})),
            "400 embossed_name");
  EXPECT_EQ(error_of(create_card(holder_id, "no-such-product", {{"card_type", "virtual"}})), "404 x-product-id");
  EXPECT_EQ(error_of(create_card("nobody", product_id_, {{"card_type", "virtual"}})), "404 x-cardholder-id");
  Reply created = create_card(holder_id, product_id_, {{"card_type", "virtual"}}, "card-1");
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.text("message"), "Card has been created successfully.");
  const bj::object& card = created["data"].at(0).as_object();
  const std::string card_id(card.at("card_id").as_string());
  EXPECT_FALSE(card.at("wallet_id").as_string().empty());
  EXPECT_EQ(card.at("cardholder_id").as_string(), holder_id);
  EXPECT_EQ(card.at("product_id").as_string(), product_id_);
  EXPECT_EQ(card.at("card_type").as_string(), "virtual");
  EXPECT_EQ(card.at("status").as_string(), "ACTIVE");
  EXPECT_EQ(card.at("currency").as_string(), "USD");
  EXPECT_EQ(card.at("embossed_name").as_string(), "ADA LOVELACE");
  EXPECT_TRUE(card.at("masked_pan").as_string().starts_with("424242******"));
  EXPECT_TRUE(card.at("expiry_month").is_int64() && card.at("expiry_year").is_int64());
  // Replayed with its key: the same card; a second card of the product: 409.
  EXPECT_EQ(create_card(holder_id, product_id_, {{"card_type", "virtual"}}, "card-1").body, created.body);
  EXPECT_EQ(error_of(create_card(holder_id, product_id_, {{"card_type", "virtual"}})), "409 x-product-id");
  // GET shows the same fields and the balance, never the full PAN.
  top_up({holder_id, card_id, "", product_id_}, "25.00");
  Reply found = hashdt("GET", "/card", std::nullopt, {{"x-cardholder-id", holder_id}, {"x-card-id", card_id}});
  ASSERT_EQ(found.status, 200) << found.body;
  const bj::object& shown = found["data"].at(0).as_object();
  for (const auto& [name, value] : card) EXPECT_EQ(bj::serialize(shown.at(name)), bj::serialize(value)) << name;
  EXPECT_EQ(shown.at("available_balance").as_string(), "25.00");
  EXPECT_EQ(found.body.find(std::string(card.at("masked_pan").as_string()).substr(0, 6) + "0"), std::string::npos);
  // Another holder, another merchant: not found.
  Reply stranger = create_holder({{"first_name", "B"}, {"last_name", "C"}, {"email", "b@c.test"}});
  const std::string stranger_id(stranger["data"].at(0).at("cardholder_id").as_string());
  EXPECT_EQ(error_of(hashdt("GET", "/card", std::nullopt, {{"x-cardholder-id", stranger_id}, {"x-card-id", card_id}})),
            "404 x-card-id");
  auto [other_merchant, other_key] = create_merchant("Other");
  EXPECT_EQ(error_of(hashdt("GET", "/card", std::nullopt,
                            {{"x-api-key", other_key}, {"x-cardholder-id", holder_id}, {"x-card-id", card_id}})),
            "404 x-card-id");
  // A physical product issues physical cards, waiting for activation.
  const std::string physical = create_product("USD", "physical", "433333");
  Reply plastic = create_card(holder_id, physical, {{"card_type", "physical"}, {"embossed_name", "A LOVELACE"}});
  ASSERT_EQ(plastic.status, 200) << plastic.body;
  EXPECT_EQ(plastic["data"].at(0).at("status").as_string(), "PENDING_ACTIVE");
  EXPECT_EQ(plastic["data"].at(0).at("embossed_name").as_string(), "A LOVELACE");
}

ISSUERD_E2E_SUITE(HashDt);

}  // namespace
}  // namespace issuerd::e2e
