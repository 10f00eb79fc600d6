// Budget quotas and shared-quota cards (seeds/musepay-shared-quota.txt) over real HTTP on
// both databases: the seed's integration flow, both fee examples, freezing, and many cards
// of one quota authorizing at once.
#include <atomic>
#include <thread>

#include "musepay_client.h"

namespace issuerd::e2e {
namespace {

class Quotas : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    std::tie(merchant_id_, api_key_) = create_merchant("Quota Program");
    deposit(merchant_id_, "200000.00");
    Reply product = admin("POST", "/admin/v1/card-products",
                          bj::serialize(bj::object{{"name", "Shared"}, {"bin", "445566"}, {"network", "visa"},
                                                   {"currency", "USD"}, {"card_level", "1"}, {"form", "virtual"},
                                                   {"over_limit_fee_rate_daily", "0.001"}}));
    ASSERT_EQ(product.status, 201) << product.body;
    product_id_ = product.text("card_product_id");
    musepay_ = std::make_unique<MusePayClient>(*this, merchant_id_, api_key_);
  }

  std::string create_quota(const std::string& request_id) {
    Reply created = musepay_->call("/v1/card/share-quota/quota/create",
                                   bj::object{{"request_id", request_id}, {"card_product_id", product_id_},
                                              {"card_level", "1"}, {"share_quota_name", "Team " + request_id}});
    EXPECT_EQ(created.status, 200) << created.body;
    EXPECT_EQ(created["data"].at("share_quota_status").as_string(), "NORMAL");
    return std::string(created["data"].at("share_quota_id").as_string());
  }

  Reply adjust(const std::string& quota_id, const std::string& amount, const std::string& request_id) {
    return musepay_->call("/v1/card/share-quota/quota/tx/adjustment",
                          bj::object{{"share_quota_id", quota_id}, {"request_id", request_id}, {"amount", amount}});
  }

  // A shared card for a new holder, with its limit set through the Top-up API.
  std::pair<std::string, std::string> shared_card(const std::string& quota_id, const std::string& holder,
                                                  const std::string& limit) {
    const std::string user_id = musepay_->create_holder(holder);
    Reply applied = musepay_->call("/v1/card/share-quota/apply",
                                   bj::object{{"user_id", user_id}, {"request_id", "apply-" + holder},
                                              {"card_product_id", product_id_}, {"card_level", "1"},
                                              {"phone_number", "5550100"}, {"phone_area_code", "1"},
                                              {"share_quota_id", quota_id}});
    EXPECT_EQ(applied.status, 200) << applied.body;
    Reply result = musepay_->wait_for_application(user_id, "apply-" + holder);
    EXPECT_EQ(result["data"].at("apply_status").as_string(), "AUDIT_PASS") << result.body;
    const std::string card_id(result["data"].at("card_id").as_string());
    if (limit != "0") {
      Reply topped = musepay_->call("/v1/cardaccount/topup",
                                    bj::object{{"request_id", "limit-" + holder}, {"card_id", card_id}, {"user_id", user_id},
                                               {"amount", limit}, {"currency", "USD"}});
      EXPECT_EQ(topped.status, 200) << topped.body;
    }
    return {card_id, user_id};
  }

  Reply authorize(const std::string& card_id, const std::string& amount, const std::string& key) {
    return call("POST", "/sim/v1/authorizations",
                bj::serialize(bj::object{{"card_id", card_id}, {"amount", amount}, {"currency", "USD"}}),
                {{"x-api-key", api_key_}, {"Idempotency-Key", key}});
  }

  bj::object quota_row(const std::string& quota_id) {
    Reply listed = musepay_->call("/v1/card/share-quota/quota/list", bj::object{{"share_quota_id", quota_id}});
    EXPECT_EQ(listed.status, 200) << listed.body;
    EXPECT_EQ(listed["data"].at("total").as_int64(), 1);
    return listed["data"].at("data").as_array()[0].as_object();
  }

  static std::string text(const bj::object& o, const char* key) {
    const bj::value& v = o.at(key);
    return v.is_string() ? std::string(v.as_string()) : bj::serialize(v);
  }

  std::string merchant_id_, api_key_, product_id_;
  std::unique_ptr<MusePayClient> musepay_;
};

TEST_P(Quotas, TheSeedsIntegrationFlow) {
  const std::string quota = create_quota("q-flow");
  // Fund: the main account is charged; more than it has is 202203 and moves nothing.
  Reply too_much = adjust(quota, "300000", "fund-too-much");
  EXPECT_EQ(bj::serialize(too_much["code"]), "202203");
  Reply funded = adjust(quota, "1000", "fund-1");
  ASSERT_EQ(funded.status, 200) << funded.body;
  EXPECT_EQ(funded["data"].at("status").as_string(), "SUCCESS");
  EXPECT_EQ(funded["data"].at("amount").as_string(), "1000.00");
  EXPECT_EQ(adjust(quota, "1000", "fund-1").body, funded.body);  // idempotent on request_id
  EXPECT_EQ(main_balance(merchant_id_), "199000.00");
  // Two shared cards; their limits move no money.
  auto [card_a, user_a] = shared_card(quota, "a", "600");
  auto [card_b, user_b] = shared_card(quota, "b", "300");
  EXPECT_EQ(main_balance(merchant_id_), "199000.00");
  bj::object row = quota_row(quota);
  EXPECT_EQ(text(row, "available_quota_balance"), "1000.00");
  EXPECT_EQ(text(row, "total_card_tx_quota"), "900.00");
  EXPECT_EQ(text(row, "available_card_tx_quota"), "900.00");
  EXPECT_EQ(text(row, "total_issue_card_count"), "2");
  EXPECT_EQ(text(row, "share_quota_currency"), "USD");
  Reply card = musepay_->call("/v1/card/query", bj::object{{"card_id", card_a}, {"user_id", user_a}});
  EXPECT_EQ(card["data"].at("card_available_balance").as_string(), "600.00");
  // Both cards draw on the same quota, each within its own limit.
  Reply a1 = authorize(card_a, "250.00", "a1");
  EXPECT_EQ(a1.text("status"), "APPROVED") << a1.body;
  Reply b1 = authorize(card_b, "301.00", "b1");
  EXPECT_EQ(b1.text("response_code"), "51");  // beyond card b's limit
  Reply b2 = authorize(card_b, "300.00", "b2");
  EXPECT_EQ(b2.text("status"), "APPROVED") << b2.body;
  row = quota_row(quota);
  EXPECT_EQ(text(row, "available_quota_balance"), "450.00");
  EXPECT_EQ(text(row, "outgoing_quota_balance"), "550.00");
  EXPECT_EQ(text(row, "available_card_tx_quota"), "350.00");
  // Capture part of one, reverse the other, refund some.
  Reply captured = call("POST", "/sim/v1/authorizations/" + a1.text("authorization_id") + "/capture", R"({"amount":"200.00"})",
                        {{"x-api-key", api_key_}, {"Idempotency-Key", "cap-a1"}});
  ASSERT_EQ(captured.status, 200) << captured.body;
  ASSERT_EQ(call("POST", "/sim/v1/authorizations/" + b2.text("authorization_id") + "/reverse", "{}",
                 {{"x-api-key", api_key_}, {"Idempotency-Key", "rev-b2"}}).status, 200);
  Reply refunded = call("POST", "/sim/v1/refunds",
                        bj::serialize(bj::object{{"authorization_id", a1.text("authorization_id")}, {"amount", "50.00"}}),
                        {{"x-api-key", api_key_}, {"Idempotency-Key", "ref-a1"}});
  ASSERT_EQ(refunded.status, 201) << refunded.body;
  row = quota_row(quota);
  EXPECT_EQ(text(row, "available_quota_balance"), "850.00");  // 1000 - 200 + 50
  EXPECT_EQ(text(row, "outgoing_quota_balance"), "0.00");
  EXPECT_EQ(text(row, "total_usage_quota_balance"), "150.00");
  EXPECT_EQ(text(row, "available_card_tx_quota"), "750.00");  // a: 600-200+50, b: 300
  // Defunding keeps what is held; more than available is 202206.
  Reply defund_too_much = adjust(quota, "-851", "defund-1");
  EXPECT_EQ(bj::serialize(defund_too_much["code"]), "202206");
  Reply defund = adjust(quota, "-50", "defund-2");
  ASSERT_EQ(defund.status, 200) << defund.body;
  EXPECT_EQ(main_balance(merchant_id_), "199050.00");
  // History, with the documented filters.
  Reply history = musepay_->call("/v1/card/share-quota/quota/tx/list", bj::object{{"share_quota_id", quota}});
  ASSERT_EQ(history.status, 200) << history.body;
  EXPECT_EQ(history["data"].at("total").as_int64(), 2);
  Reply by_request = musepay_->call("/v1/card/share-quota/quota/tx/list",
                                    bj::object{{"share_quota_id", quota}, {"request_id", "fund-1"}});
  EXPECT_EQ(by_request["data"].at("total").as_int64(), 1);
  EXPECT_EQ(by_request["data"].at("data").as_array()[0].at("amount").as_string(), "1000.00");
  Reply paged = musepay_->call("/v1/card/share-quota/quota/tx/list",
                               bj::object{{"share_quota_id", quota}, {"limit", "1"}, {"page", 2}});
  EXPECT_EQ(paged["data"].at("data").as_array().size(), 1u);
  EXPECT_EQ(musepay_->call("/v1/card/share-quota/quota/list", bj::object{{"limit", "1001"}}).status, 400);
  Reply ranged = musepay_->call("/v1/card/share-quota/quota/tx/list",
                                bj::object{{"start_time", 1}, {"end_time", 2}});
  EXPECT_EQ(ranged["data"].at("total").as_int64(), 0);
}

TEST_P(Quotas, FeeExampleOneChargesTheOverLimit) {
  // 50,000 funded, 10 cards with 10,000 each: 50,000 over the limit.
  const std::string quota = create_quota("q-fee-1");
  ASSERT_EQ(adjust(quota, "50000", "fund").status, 200);
  for (int i = 0; i < 10; ++i) shared_card(quota, "fee1-" + std::to_string(i), "10000");
  bj::object row = quota_row(quota);
  EXPECT_EQ(text(row, "total_card_tx_quota"), "100000.00");
  Reply run = admin("POST", "/admin/v1/jobs/daily-fees/run", R"({"date":"2026-11-20"})");
  ASSERT_EQ(run.status, 200) << run.body;
  bool seen = false;
  for (const auto& q : run["quotas"].as_array()) {
    if (q.at("share_quota_id").as_string() != quota) continue;
    seen = true;
    EXPECT_EQ(q.at("over_limit").as_string(), "50000.00");
    EXPECT_EQ(q.at("fee").as_string(), "50.00");  // 50,000 x 0.001
    EXPECT_EQ(q.at("charged").as_string(), "50.00");
  }
  EXPECT_TRUE(seen);
  EXPECT_EQ(text(quota_row(quota), "available_quota_balance"), "49950.00");
  // The same day again charges nothing more.
  Reply again = admin("POST", "/admin/v1/jobs/daily-fees/run", R"({"date":"2026-11-20"})");
  EXPECT_TRUE(again["quotas"].as_array()[0].at("already_charged").as_bool());
  EXPECT_EQ(text(quota_row(quota), "available_quota_balance"), "49950.00");
  Reply history = musepay_->call("/v1/card/share-quota/quota/tx/list", bj::object{{"share_quota_id", quota}});
  bool fee_listed = false;
  for (const auto& order : history["data"].at("data").as_array()) {
    fee_listed = fee_listed || (order.at("type").as_string() == "FEE" && order.at("amount").as_string() == "-50.00");
  }
  EXPECT_TRUE(fee_listed) << history.body;
  EXPECT_EQ(admin("POST", "/admin/v1/jobs/daily-fees/run", R"({"date":"2026-13-01"})").status, 422);
}

TEST_P(Quotas, FeeExampleTwoChargesNothing) {
  // 30,000 funded; 3 cards with 10,000 and 2 with 0: limits match the budget.
  const std::string quota = create_quota("q-fee-2");
  ASSERT_EQ(adjust(quota, "30000", "fund").status, 200);
  for (int i = 0; i < 3; ++i) shared_card(quota, "fee2-" + std::to_string(i), "10000");
  for (int i = 3; i < 5; ++i) shared_card(quota, "fee2-" + std::to_string(i), "0");
  Reply run = admin("POST", "/admin/v1/jobs/daily-fees/run", R"({"date":"2026-11-20"})");
  ASSERT_EQ(run.status, 200) << run.body;
  ASSERT_EQ(run["quotas"].as_array().size(), 1u);
  EXPECT_EQ(run["quotas"].as_array()[0].at("over_limit").as_string(), "0.00");
  EXPECT_EQ(run["quotas"].as_array()[0].at("fee").as_string(), "0.00");
  EXPECT_EQ(text(quota_row(quota), "available_quota_balance"), "30000.00");
  EXPECT_EQ(text(quota_row(quota), "total_issue_card_count"), "5");
}

TEST_P(Quotas, FrozenQuotaBlocksSpendingAndAdjustments) {
  const std::string quota = create_quota("q-frozen");
  ASSERT_EQ(adjust(quota, "100", "fund").status, 200);
  auto [card, user] = shared_card(quota, "frozen-holder", "100");
  Reply frozen = musepay_->call("/v1/card/share-quota/quota/frozen", bj::object{{"share_quota_id", quota}});
  ASSERT_EQ(frozen.status, 200) << frozen.body;
  EXPECT_EQ(frozen["data"].at("share_quota_status").as_string(), "FROZEN");
  Reply declined = authorize(card, "10.00", "frozen-1");
  EXPECT_EQ(declined.text("response_code"), "62");
  EXPECT_EQ(declined.text("decline_reason"), "quota_frozen");
  EXPECT_EQ(adjust(quota, "10", "fund-frozen").status, 400);
  EXPECT_EQ(text(quota_row(quota), "share_quota_status"), "FROZEN");
  ASSERT_EQ(musepay_->call("/v1/card/share-quota/quota/unfrozen", bj::object{{"share_quota_id", quota}}).status, 200);
  EXPECT_EQ(authorize(card, "10.00", "frozen-2").text("status"), "APPROVED");
}

TEST_P(Quotas, CardLimitsRiseAndFall) {
  const std::string quota = create_quota("q-limits");
  ASSERT_EQ(adjust(quota, "500", "fund").status, 200);
  auto [card, user] = shared_card(quota, "limits-holder", "0");
  EXPECT_EQ(authorize(card, "1.00", "l-0").text("response_code"), "51");  // no limit yet
  ASSERT_EQ(musepay_->call("/v1/cardaccount/topup", bj::object{{"request_id", "l-1"}, {"card_id", card}, {"user_id", user},
                                                               {"amount", "100"}, {"currency", "USD"}}).status, 200);
  ASSERT_EQ(authorize(card, "60.00", "l-2").text("status"), "APPROVED");
  Reply lowered = musepay_->call("/v1/card/share-quota/card/limit",
                                 bj::object{{"card_id", card}, {"user_id", user}, {"card_limit", "70"}});
  ASSERT_EQ(lowered.status, 200) << lowered.body;
  EXPECT_EQ(authorize(card, "10.01", "l-3").text("response_code"), "51");
  EXPECT_EQ(authorize(card, "10.00", "l-4").text("status"), "APPROVED");
  Reply below_used = musepay_->call("/v1/card/share-quota/card/limit",
                                    bj::object{{"card_id", card}, {"user_id", user}, {"card_limit", "69"}});
  EXPECT_EQ(below_used.status, 400);
}

TEST_P(Quotas, ManyCardsAtOnceNeverOverdrawTheQuota) {
  // 100.00 in the quota, 5 cards with 100.00 limits each, 40 authorizations of 10.00 at once.
  const std::string quota = create_quota("q-race");
  ASSERT_EQ(adjust(quota, "100", "fund").status, 200);
  std::vector<std::string> cards;
  for (int i = 0; i < 5; ++i) cards.push_back(shared_card(quota, "race-" + std::to_string(i), "100").first);
  std::atomic<int> approved{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 40; ++t) {
    threads.emplace_back([&, t] {
      http::Client client = server_->client();
      auto response = client.request("POST", "/sim/v1/authorizations",
                                     {{"x-api-key", api_key_}, {"Idempotency-Key", "race-" + std::to_string(t)}},
                                     bj::serialize(bj::object{{"card_id", cards[t % 5]}, {"amount", "10.00"},
                                                              {"currency", "USD"}}));
      if (response.ok() && response->body.find("\"APPROVED\"") != std::string::npos) ++approved;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(approved.load(), 10);
  EXPECT_EQ(text(quota_row(quota), "available_quota_balance"), "0.00");
}

ISSUERD_E2E_SUITE(Quotas);

}  // namespace
}  // namespace issuerd::e2e
