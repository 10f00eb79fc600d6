// The admin API over real HTTP on both databases: merchants, money in and out, products,
// webhooks, the test clock, idempotency, and every class of bad input changing nothing.
#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "crypto/rsa.h"
#include "e2e_support.h"

namespace issuerd::e2e {
namespace {

class AdminApi : public E2eTest {};

std::string deposit_body(const std::string& amount, const std::string& currency = "USD") {
  return bj::serialize(bj::object{{"amount", amount}, {"currency", currency}});
}

TEST_P(AdminApi, HealthAndMetrics) {
  EXPECT_EQ(call("GET", "/healthz").status, 200);
  admin("GET", "/admin/v1/merchants");
  Reply metrics = call("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("issuerd_http_requests_total{method=\"GET\",route=\"/admin/v1/merchants\",status=\"200\"} 1"),
            std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("issuerd_http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(metrics.body.find("issuerd_commit_duration_seconds_count"), std::string::npos);
  EXPECT_NE(metrics.body.find("issuerd_authorizations_total"), std::string::npos);
}

TEST_P(AdminApi, AdminTokenRequired) {
  Reply missing = call("GET", "/admin/v1/merchants");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.content_type, "application/problem+json");
  EXPECT_EQ(missing.text("reason"), "unauthenticated");
  Reply wrong = call("POST", "/admin/v1/merchants", R"({"name":"x"})", {{"Authorization", "Bearer not-the-token"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(admin("GET", "/admin/v1/merchants")["total"].as_int64(), 0);  // nothing was created
}

TEST_P(AdminApi, CreateGetAndListMerchants) {
  Reply created = admin("POST", "/admin/v1/merchants", R"({"name":"Acme Cards"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.text("merchant_id");
  EXPECT_TRUE(created.text("api_key").starts_with("isk_"));
  // The platform key is a usable RSA public key in Base64 DER.
  EXPECT_TRUE(crypto::RsaPublicKey::parse(created.text("platform_public_key")).ok());
  Reply fetched = admin("GET", "/admin/v1/merchants/" + id);
  ASSERT_EQ(fetched.status, 200);
  EXPECT_EQ(fetched.text("name"), "Acme Cards");
  EXPECT_EQ(fetched["balances"].as_array().size(), 0u);
  EXPECT_FALSE(fetched.json.as_object().contains("api_key"));  // shown only at creation
  create_merchant("Second");
  Reply page = admin("GET", "/admin/v1/merchants?page=2&page_size=1");
  EXPECT_EQ(page["total"].as_int64(), 2);
  ASSERT_EQ(page["data"].as_array().size(), 1u);
  EXPECT_EQ(page["data"].as_array()[0].at("name").as_string(), "Second");
  EXPECT_EQ(admin("GET", "/admin/v1/merchants/404404").status, 404);
  EXPECT_EQ(admin("GET", "/admin/v1/merchants?page_size=1001").status, 422);
}

TEST_P(AdminApi, MerchantWithPublicKey) {
  auto key = crypto::RsaPrivateKey::generate();
  ASSERT_TRUE(key.ok());
  const std::string der = key->public_key().der_base64();
  Reply created = admin("POST", "/admin/v1/merchants", bj::serialize(bj::object{{"name", "Signed"}, {"public_key", der}}));
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_TRUE(admin("GET", "/admin/v1/merchants/" + created.text("merchant_id"))["has_public_key"].as_bool());
  Reply bad = admin("POST", "/admin/v1/merchants", R"({"name":"Bad","public_key":"bm90IGEga2V5"})");
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.text("field"), "public_key");
}

TEST_P(AdminApi, DepositsAndWithdrawalsMoveExactAmounts) {
  auto [id, api_key] = create_merchant();
  Reply first = admin("POST", "/admin/v1/merchants/" + id + "/deposits", deposit_body("100.10"), {{"Idempotency-Key", "d1"}});
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.text("amount"), "100.10");
  EXPECT_EQ(first.text("balance_after"), "100.10");
  ASSERT_EQ(admin("POST", "/admin/v1/merchants/" + id + "/deposits", R"({"amount":0.2,"currency":"USD"})",
                  {{"Idempotency-Key", "d2"}}).status, 201);
  EXPECT_EQ(main_balance(id), "100.30");  // 0.1 + 0.2 is exactly 0.30 here
  Reply out = admin("POST", "/admin/v1/merchants/" + id + "/withdrawals", deposit_body("0.30"), {{"Idempotency-Key", "w1"}});
  ASSERT_EQ(out.status, 201) << out.body;
  EXPECT_EQ(out.text("balance_after"), "100.00");
  Reply overdraw = admin("POST", "/admin/v1/merchants/" + id + "/withdrawals", deposit_body("100.01"), {{"Idempotency-Key", "w2"}});
  EXPECT_EQ(overdraw.status, 409);
  EXPECT_EQ(overdraw.text("reason"), "insufficient_balance");
  EXPECT_EQ(main_balance(id), "100.00");
  // A refused request stored nothing: the same key works once funds arrive.
  deposit(id, "1.00");
  EXPECT_EQ(admin("POST", "/admin/v1/merchants/" + id + "/withdrawals", deposit_body("100.01"), {{"Idempotency-Key", "w2"}}).status, 201);
  EXPECT_EQ(main_balance(id), "0.99");
  // Several currencies live side by side.
  deposit(id, "5", "JPY");
  EXPECT_EQ(main_balance(id, "JPY"), "5");
}

TEST_P(AdminApi, IdempotentReplayIsByteForByte) {
  auto [id, api_key] = create_merchant();
  const std::string path = "/admin/v1/merchants/" + id + "/deposits";
  Reply first = admin("POST", path, deposit_body("25.00"), {{"Idempotency-Key", "same"}});
  Reply replay = admin("POST", path, R"({"currency":"USD","amount":"25.00"})", {{"Idempotency-Key", "same"}});
  EXPECT_EQ(first.status, 201);
  EXPECT_EQ(replay.status, 201);
  EXPECT_EQ(replay.body, first.body);  // key order in the request does not matter
  EXPECT_EQ(main_balance(id), "25.00");
  Reply conflict = admin("POST", path, deposit_body("26.00"), {{"Idempotency-Key", "same"}});
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.text("reason"), "idempotency_key_reused");
  EXPECT_EQ(main_balance(id), "25.00");
  // Keys are scoped by route: the same key on withdrawals is a different request.
  EXPECT_EQ(admin("POST", "/admin/v1/merchants/" + id + "/withdrawals", deposit_body("5.00"), {{"Idempotency-Key", "same"}}).status, 201);
  Reply missing = admin("POST", path, deposit_body("1.00"));
  EXPECT_EQ(missing.status, 422);
  EXPECT_EQ(missing.text("field"), "Idempotency-Key");
  // Merchant creation with a key replays the same merchant (api key included) once.
  Reply m1 = admin("POST", "/admin/v1/merchants", R"({"name":"Once"})", {{"Idempotency-Key", "create-once"}});
  Reply m2 = admin("POST", "/admin/v1/merchants", R"({"name":"Once"})", {{"Idempotency-Key", "create-once"}});
  EXPECT_EQ(m1.body, m2.body);
}

TEST_P(AdminApi, ConcurrentDuplicatesExecuteOnce) {
  auto [id, api_key] = create_merchant();
  constexpr int clients = 16;
  std::vector<std::string> bodies(clients);
  std::vector<int> statuses(clients);
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      http::Client client = server_->client();
      auto response = client.request("POST", "/admin/v1/merchants/" + id + "/deposits",
                                     {{"Authorization", "Bearer " + server_->admin_token()}, {"Idempotency-Key", "race"}},
                                     deposit_body("10.00"));
      statuses[i] = response.ok() ? response->status : -1;
      bodies[i] = response.ok() ? response->body : "";
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < clients; ++i) {
    EXPECT_EQ(statuses[i], 201);
    EXPECT_EQ(bodies[i], bodies[0]);
  }
  EXPECT_EQ(main_balance(id), "10.00");
}

TEST_P(AdminApi, ConcurrentWithdrawalsNeverOverdraw) {
  auto [id, api_key] = create_merchant();
  deposit(id, "10.00");
  std::atomic<int> approved{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      http::Client client = server_->client();
      for (int i = 0; i < 5; ++i) {
        auto response = client.request("POST", "/admin/v1/merchants/" + id + "/withdrawals",
                                       {{"Authorization", "Bearer " + server_->admin_token()},
                                        {"Idempotency-Key", "w-" + std::to_string(t) + "-" + std::to_string(i)}},
                                       deposit_body("1.00"));
        if (response.ok() && response->status == 201) ++approved;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(approved.load(), 10);
  EXPECT_EQ(main_balance(id), "0.00");
}

// Each class of bad input gets a 4xx naming the problem, and nothing changes.
TEST_P(AdminApi, BadInputChangesNothing) {
  auto [id, api_key] = create_merchant();
  deposit(id, "50.00");
  const std::string path = "/admin/v1/merchants/" + id + "/deposits";
  struct Case {
    std::string body;
    int status;
    std::string reason;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"{\"amount\": \"1.00\", ", 400, "invalid_json", ""},
      {"[1,2]", 400, "body_not_object", ""},
      {R"({"amount":true,"currency":"USD"})", 422, "wrong_type", "amount"},
      {R"({"amount":"1.00","currency":5})", 422, "wrong_type", "currency"},
      {R"({"currency":"USD"})", 422, "missing_field", "amount"},
      {R"({"amount":"1.00"})", 422, "missing_field", "currency"},
      {R"({"amount":"1.00","currency":"XYZ"})", 422, "unknown_currency", "currency"},
      {R"({"amount":"1.001","currency":"USD"})", 422, "amount_too_precise", "amount"},
      {R"({"amount":"1.5","currency":"JPY"})", 422, "amount_too_precise", "amount"},
      {R"({"amount":"-1.00","currency":"USD"})", 422, "amount_not_positive", "amount"},
      {R"({"amount":"0","currency":"USD"})", 422, "amount_not_positive", "amount"},
      {R"({"amount":"-0","currency":"USD"})", 422, "amount_not_positive", "amount"},
      {R"({"amount":"92233720368547758.08","currency":"USD"})", 422, "amount_out_of_range", "amount"},
      {R"({"amount":1e400,"currency":"USD"})", 422, "amount_out_of_range", "amount"},
      {R"({"amount":1e20,"currency":"USD"})", 422, "amount_out_of_range", "amount"},
      {R"({"amount":"1e3","currency":"USD"})", 422, "invalid_amount", "amount"},
      {R"({"amount":"1; DROP TABLE accounts","currency":"USD"})", 422, "invalid_amount", "amount"},
  };
  int n = 0;
  for (const Case& c : cases) {
    Reply reply = admin("POST", path, c.body, {{"Idempotency-Key", "bad-" + std::to_string(++n)}});
    EXPECT_EQ(reply.status, c.status) << c.body << " -> " << reply.body;
    EXPECT_EQ(reply.content_type, "application/problem+json") << c.body;
    if (reply.json.is_object()) {
      EXPECT_EQ(reply.text("reason"), c.reason) << c.body;
      if (!c.field.empty()) {
        EXPECT_EQ(reply.text("field"), c.field) << c.body;
      }
    }
  }
  // Unknown enum values and bad fields on other routes.
  Reply product = admin("POST", "/admin/v1/card-products",
                        R"({"name":"P","bin":"424242","network":"amex","currency":"USD","card_level":"1","form":"virtual"})");
  EXPECT_EQ(product.status, 422);
  EXPECT_EQ(product.text("field"), "network");
  Reply merchant = admin("POST", "/admin/v1/merchants", R"({"name":""})");
  EXPECT_EQ(merchant.status, 422);
  EXPECT_EQ(main_balance(id), "50.00");
  EXPECT_EQ(admin("GET", "/admin/v1/merchants")["total"].as_int64(), 1);
  EXPECT_EQ(admin("GET", "/admin/v1/card-products")["total"].as_int64(), 0);
}

TEST_P(AdminApi, CardProducts) {
  auto [id, api_key] = create_merchant();
  Reply created = admin("POST", "/admin/v1/card-products",
                        bj::serialize(bj::object{{"name", "Travel"}, {"bin", "52345678"}, {"network", "mastercard"},
                                                 {"currency", "EUR"}, {"card_level", 2}, {"form", "physical"},
                                                 {"over_limit_fee_rate_daily", "0.0005"}, {"expiry_years", 4},
                                                 {"merchant_ids", bj::array{bj::value(id)}}}));
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.text("card_level"), "2");
  EXPECT_EQ(created.text("over_limit_fee_rate_daily"), "0.0005");
  Reply list = admin("GET", "/admin/v1/card-products");
  ASSERT_EQ(list["total"].as_int64(), 1);
  EXPECT_EQ(list["data"].as_array()[0].at("merchant_ids").as_array()[0].as_string(), id);
  auto product_error = [&](bj::object body) {
    bj::object base{{"name", "P"}, {"bin", "424242"}, {"network", "visa"}, {"currency", "USD"}, {"card_level", "1"},
                    {"form", "virtual"}};
    for (auto& [k, v] : body) base[k] = v;
    Reply reply = admin("POST", "/admin/v1/card-products", bj::serialize(base));
    EXPECT_EQ(reply.status, 422) << reply.body;
    return reply.json.is_object() ? reply.text("reason") : std::string();
  };
  EXPECT_EQ(product_error({{"bin", "42424"}}), "invalid_bin");
  EXPECT_EQ(product_error({{"bin", "4242a2"}}), "invalid_bin");
  EXPECT_EQ(product_error({{"bin", "524242"}}), "bin_network_mismatch");
  EXPECT_EQ(product_error({{"form", "plastic"}}), "invalid_form");
  EXPECT_EQ(product_error({{"currency", "ABC"}}), "unknown_currency");
  EXPECT_EQ(product_error({{"over_limit_fee_rate_daily", "1.5"}}), "invalid_rate");
  EXPECT_EQ(product_error({{"expiry_years", 0}}), "invalid_expiry_years");
  EXPECT_EQ(product_error({{"merchant_ids", bj::array{bj::value("999")}}}), "unknown_merchant");
  EXPECT_EQ(admin("GET", "/admin/v1/card-products")["total"].as_int64(), 1);
}

TEST_P(AdminApi, Webhooks) {
  auto [id, api_key] = create_merchant();
  Reply set = admin("POST", "/admin/v1/merchants/" + id + "/webhooks", R"({"url":"https://hooks.example.test/issuerd"})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(admin("GET", "/admin/v1/merchants/" + id).text("webhook_url"), "https://hooks.example.test/issuerd");
  EXPECT_EQ(admin("POST", "/admin/v1/merchants/" + id + "/webhooks", R"({"url":"ftp://x"})").status, 422);
  EXPECT_EQ(admin("POST", "/admin/v1/merchants/404/webhooks", R"({"url":"https://x.test"})").status, 404);
}

TEST_P(AdminApi, TestClock) {
  Reply set = admin("POST", "/admin/v1/test/clock", R"({"now":"2026-01-31T23:59:59Z"})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.text("now"), "2026-01-31T23:59:59.000Z");
  auto [id, api_key] = create_merchant();
  EXPECT_EQ(admin("GET", "/admin/v1/merchants/" + id).text("created_at"), "2026-01-31T23:59:59.000Z");
  Reply bad = admin("POST", "/admin/v1/test/clock", R"({"now":"tomorrow"})");
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.text("field"), "now");
}

TEST_P(AdminApi, TestClockExistsOnlyWithTheFlag) {
  testing::ServerOptions options = server_options();
  options.test_clock = false;
  testing::ServerProcess plain(options);
  http::Client client = plain.client();
  auto response = client.request("POST", "/admin/v1/test/clock",
                                 {{"Authorization", "Bearer " + plain.admin_token()}}, R"({"now":"2026-01-01T00:00:00Z"})");
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 404);
}

TEST_P(AdminApi, UnknownRoutesAndMethods) {
  Reply missing = call("GET", "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.content_type, "application/problem+json");
  EXPECT_EQ(call("DELETE", "/admin/v1/merchants").status, 405);
  std::string huge(2 * 1024 * 1024, 'x');
  auto response = client_->request("POST", "/admin/v1/merchants", {}, huge);
  EXPECT_TRUE(!response.ok() || response->status == 413);
  client_ = std::make_unique<http::Client>(server_->client());
}

TEST_P(AdminApi, DataSurvivesRestartAndKill) {
  auto [id, api_key] = create_merchant();
  deposit(id, "12.34");
  server_->stop();
  server_->restart();
  client_ = std::make_unique<http::Client>(server_->client());
  EXPECT_EQ(main_balance(id), "12.34");
  deposit(id, "1.00");
  server_->kill_hard();
  server_->restart();
  client_ = std::make_unique<http::Client>(server_->client());
  EXPECT_EQ(main_balance(id), "13.34");  // an answered request survives SIGKILL
}

TEST_P(AdminApi, RefusesNewerDatabase) {
  server_->stop();
  {
    auto connection = database_->connect();
    const storage::SqlValue params[] = {std::int64_t{9999}, std::string("future"), std::int64_t{0}};
    ASSERT_TRUE(connection->execute("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)",
                                    params).ok());
  }
  EXPECT_THROW(server_->restart(), std::runtime_error);
  std::ifstream log(server_->log_path());
  std::stringstream text;
  text << log.rdbuf();
  EXPECT_NE(text.str().find("newer than this issuerd knows"), std::string::npos);
  server_.reset();  // nothing left to check against
}

TEST_P(AdminApi, LogsHoldNoSecrets) {
  auto [id, api_key] = create_merchant();
  deposit(id, "1.00");
  call("GET", "/admin/v1/merchants", {}, {{"Authorization", "Bearer " + api_key}});  // a wrong credential
  std::ifstream log(server_->log_path());
  std::stringstream text;
  text << log.rdbuf();
  EXPECT_EQ(text.str().find(api_key), std::string::npos);
  EXPECT_EQ(text.str().find("iat_"), std::string::npos);
}

ISSUERD_E2E_SUITE(AdminApi);

}  // namespace
}  // namespace issuerd::e2e
