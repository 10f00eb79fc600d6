// The AdPos dialect (seeds/adpos-cards-apply.txt) over real HTTP on both databases: access
// tokens, cardbins, /cards/apply with real form bodies (multipart and urlencoded) and JSON,
// every validation rule's 422, the 403s, replays, a 30-card task, a task that survives a
// restart and records a failure per card, auto top-up of both card types during simulated
// authorizations, and AdPos's signed transaction callbacks. The ledger invariants are
// checked after each test (E2eTest) and inside the money tests.
#include <chrono>
#include <functional>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "crypto/hashing.h"
#include "e2e_support.h"
#include "webhook_receiver.h"
#include "http/server.h"
#include "storage/store.h"

namespace issuerd::e2e {
namespace {

using namespace std::chrono_literals;
using Fields = FormFields;

// Any full PAN of the test BIN: 424242 and ten more digits.
bool has_full_pan(const std::string& text) { return std::regex_search(text, std::regex("424242[0-9]{10}")); }

// The AdPos-signed requests a receiver got (MusePay-shaped callbacks of the same events are skipped).
std::vector<http::Request> adpos_requests(const Receiver& receiver) {
  std::vector<http::Request> out;
  for (const auto& request : receiver.requests()) {
    if (request.header("x-adpos-signature")) out.push_back(request);
  }
  return out;
}

class Adpos : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    std::tie(merchant_id_, api_key_) = create_merchant("AdPos Program");
    deposit(merchant_id_, "10000.00");
    product_id_ = create_product();
    Reply bins = call("GET", "/cards/cardbins", {}, auth());
    ASSERT_EQ(bins.status, 200) << bins.body;
    ASSERT_EQ(bins["data"].as_array().size(), 1u) << bins.body;
    bin_ = std::string(bins["data"].as_array()[0].at("card_bin").as_string());
    EXPECT_EQ(bin_, product_id_ + ":424242");
  }

  Headers auth() const { return {{"x-api-key", api_key_}}; }

  Reply apply_form(const Fields& fields, Headers headers = {}) {
    if (headers.empty()) headers = auth();
    return call("POST", "/cards/apply", urlencoded(fields), headers, "application/x-www-form-urlencoded");
  }
  Reply apply_multipart(const Fields& fields, Headers headers = {}) {
    if (headers.empty()) headers = auth();
    return call("POST", "/cards/apply", multipart(fields), headers, multipart_content_type());
  }
  Reply apply_json(const bj::object& body) { return call("POST", "/cards/apply", bj::serialize(body), auth()); }

  std::int64_t task_id_of(const Reply& reply) {
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply.status == 200 ? reply["task_id"].as_int64() : 0;
  }

  // The task once it has left pending.
  Reply wait_task(std::int64_t task_id) {
    Reply task;
    const bool settled = eventually([&] {
      task = call("GET", "/cards/tasks/" + std::to_string(task_id), {}, auth());
      return task.status == 200 && task.text("status") != "pending";
    }, std::chrono::seconds(15));
    EXPECT_TRUE(settled) << task.body;
    return task;
  }

  // The card ids the (settled) task created.
  std::vector<std::string> task_cards(std::int64_t task_id) {
    Reply task = wait_task(task_id);
    std::vector<std::string> ids;
    if (task.status != 200) return ids;
    for (const auto& card : task["cards"].as_array()) ids.emplace_back(card.at("card_id").as_string());
    return ids;
  }

  bj::object card(const std::string& card_id) {
    Reply reply = call("GET", "/cards/" + card_id, {}, auth());
    EXPECT_EQ(reply.status, 200) << reply.body;
    EXPECT_FALSE(has_full_pan(reply.body));
    return reply.status == 200 ? reply.json.as_object() : bj::object{};
  }
  std::string card_field(const std::string& card_id, std::string_view field) {
    const bj::object c = card(card_id);
    if (!c.contains(field) || c.at(field).is_null()) return "null";
    return std::string(c.at(field).as_string());
  }

  // Simulated network authorization; "APPROVED 00", "DECLINED 61", ...
  std::string authorize(const std::string& card_id, const std::string& amount) {
    Headers headers = auth();
    headers.emplace_back("Idempotency-Key", "adpos-auth-" + std::to_string(++auth_counter_));
    Reply reply = call("POST", "/sim/v1/authorizations",
                       bj::serialize(bj::object{{"card_id", card_id}, {"amount", amount}, {"currency", "USD"}}), headers);
    EXPECT_EQ(reply.status, 201) << reply.body;
    if (reply.status != 201) return "?";
    last_available_after_ = reply["available_after"].is_null() ? "null" : reply.text("available_after");
    return reply.text("status") + " " + reply.text("response_code");
  }

  // The main account's available balance (balance minus holds).
  std::string main_available() {
    Reply reply = admin("GET", "/admin/v1/merchants/" + merchant_id_);
    for (const auto& balance : reply["balances"].as_array()) {
      if (balance.at("currency").as_string() == "USD") return std::string(balance.at("available").as_string());
    }
    return "0.00";
  }

  std::int64_t total(const std::string& target) {
    Reply reply = call("GET", target, {}, auth());
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply.status == 200 ? reply["meta"].at("total").as_int64() : -1;
  }

  std::string access_token() {
    Reply token = call("POST", "/auth/access-token",
                       bj::serialize(bj::object{{"merchant_id", merchant_id_}, {"api_key", api_key_}}));
    EXPECT_EQ(token.status, 200) << token.body;
    return token.status == 200 ? token.text("access_token") : std::string();
  }

  Fields standard_seed_example() const {
    return {{"num", "2"},
            {"card_type", "standard"},
            {"card_bin", bin_},
            {"request_id", "unique_request_001"},
            {"every_card_top_up_amount", "50"},
            {"username", "test_username"},
            {"auto_topup", "1"},
            {"auto_topup_rule", R"({"min_balance":10,"topup_amount":50})"},
            {"single_transaction_limit", "100"},
            {"single_transaction_unlimit", "0"}};
  }

  Fields shared_seed_example() const {
    return {{"num", "1"},
            {"card_type", "shared"},
            {"card_bin", bin_},
            {"request_id", "unique_request_002"},
            {"auto_topup", "1"},
            {"auto_topup_rule", R"({"min_balance":10,"require_balance":100})"},
            {"shared_card_balance", "100"},
            {"shared_card_balance_unlimit", "0"},
            {"single_transaction_limit", "50"},
            {"single_transaction_unlimit", "0"}};
  }

  std::string merchant_id_;
  std::string api_key_;
  std::string product_id_;
  std::string bin_;
  int auth_counter_ = 0;
  std::string last_available_after_;  // the last authorize()'s answer's
};

// ---- credentials ----

TEST_P(Adpos, AccessTokenIsABearerForEveryRoute) {
  Reply json = call("POST", "/auth/access-token",
                    bj::serialize(bj::object{{"merchant_id", merchant_id_}, {"api_key", api_key_}}));
  ASSERT_EQ(json.status, 200) << json.body;
  EXPECT_EQ(json.text("token_type"), "Bearer");
  EXPECT_EQ(json["expires_in"].as_int64(), 86400);
  const std::string secret = json.text("webhook_secret");
  EXPECT_TRUE(std::regex_match(secret, std::regex("[0-9a-f]{64}")));
  Reply form = call("POST", "/auth/access-token", urlencoded({{"merchant_id", merchant_id_}, {"api_key", api_key_}}),
                    {}, "application/x-www-form-urlencoded");
  ASSERT_EQ(form.status, 200) << form.body;
  EXPECT_NE(form.text("access_token"), json.text("access_token"));
  EXPECT_EQ(form.text("webhook_secret"), secret) << "one secret per merchant";

  const Headers bearer{{"Authorization", "Bearer " + json.text("access_token")}};
  EXPECT_EQ(call("GET", "/cards/cardbins", {}, bearer).status, 200);
  EXPECT_EQ(call("GET", "/cards", {}, bearer).status, 200);
  EXPECT_EQ(call("GET", "/cards/tasks", {}, bearer).status, 200);
  Reply applied = apply_form({{"num", "1"}, {"card_bin", bin_}}, bearer);
  const std::int64_t task_id = task_id_of(applied);
  EXPECT_EQ(call("GET", "/cards/tasks/" + std::to_string(task_id), {}, bearer).status, 200);
  // The api key works everywhere too, as x-api-key or as the Bearer value.
  EXPECT_EQ(call("GET", "/cards", {}, {{"Authorization", "Bearer " + api_key_}}).status, 200);

  Reply wrong = call("POST", "/auth/access-token",
                     bj::serialize(bj::object{{"merchant_id", merchant_id_}, {"api_key", "isk_wrong"}}));
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  EXPECT_TRUE(wrong["message"].is_string());
  auto [other_id, other_key] = create_merchant("Other");
  EXPECT_EQ(call("POST", "/auth/access-token",
                 bj::serialize(bj::object{{"merchant_id", merchant_id_}, {"api_key", other_key}})).status, 401);
  EXPECT_EQ(call("POST", "/auth/access-token", R"({"merchant_id":"x"})").status, 422);
  EXPECT_EQ(call("GET", "/cards", {}, {{"Authorization", "Bearer adp_not-a-token"}}).status, 401);
  EXPECT_EQ(call("GET", "/cards").status, 401);
  EXPECT_EQ(call("POST", "/cards/apply", urlencoded({{"num", "1"}}), {}, "application/x-www-form-urlencoded").status, 401);
  // Another merchant's token sees none of this merchant's tasks.
  Reply other_token = call("POST", "/auth/access-token",
                           bj::serialize(bj::object{{"merchant_id", other_id}, {"api_key", other_key}}));
  const Headers other_bearer{{"Authorization", "Bearer " + other_token.text("access_token")}};
  EXPECT_EQ(call("GET", "/cards/tasks/" + std::to_string(task_id), {}, other_bearer).status, 404);
  wait_task(task_id);
}

TEST_P(Adpos, CardbinsListOnlyProductsOpenToTheMerchant) {
  auto [other_id, other_key] = create_merchant("Other");
  Reply restricted = admin("POST", "/admin/v1/card-products",
                           bj::serialize(bj::object{{"name", "Other's"}, {"bin", "455555"}, {"network", "visa"},
                                                    {"currency", "USD"}, {"card_level", "1"}, {"form", "virtual"},
                                                    {"merchant_ids", bj::array{bj::value(other_id)}}}));
  ASSERT_EQ(restricted.status, 201) << restricted.body;
  Reply mine = call("GET", "/cards/cardbins", {}, auth());
  ASSERT_EQ(mine.status, 200);
  ASSERT_EQ(mine["data"].as_array().size(), 1u) << mine.body;
  Reply theirs = call("GET", "/cards/cardbins", {}, {{"x-api-key", other_key}});
  ASSERT_EQ(theirs["data"].as_array().size(), 2u) << theirs.body;
  const bj::object& bin = mine["data"].as_array()[0].as_object();
  EXPECT_EQ(bin.at("bin").as_string(), "424242");
  EXPECT_EQ(bin.at("currency").as_string(), "USD");
}

// ---- the seed's examples ----

TEST_P(Adpos, StandardSeedExampleAsMultipartIssuesFundsAndTopsUp) {
  const std::string token = access_token();
  Reply applied = apply_multipart(standard_seed_example(), {{"Authorization", "Bearer " + token}});
  const std::vector<std::string> cards = task_cards(task_id_of(applied));
  ASSERT_EQ(cards.size(), 2u);
  EXPECT_EQ(main_balance(merchant_id_), "9900.00");
  const bj::object c = card(cards[0]);
  EXPECT_EQ(c.at("card_type").as_string(), "standard");
  EXPECT_EQ(c.at("card_bin").as_string(), bin_);
  EXPECT_EQ(c.at("balance").as_string(), "50.00");
  EXPECT_EQ(c.at("auto_topup").as_int64(), 1);
  EXPECT_EQ(c.at("auto_topup_rule"), (bj::object{{"min_balance", "10.00"}, {"topup_amount", "50.00"}}));
  EXPECT_EQ(c.at("single_transaction_limit").as_string(), "100.00");
  EXPECT_EQ(c.at("single_transaction_unlimit").as_int64(), 0);
  EXPECT_EQ(c.at("username").as_string(), "test_username");
  EXPECT_EQ(c.at("status").as_string(), "ACTIVE");
  EXPECT_TRUE(c.at("shared_card_balance").is_null());
  EXPECT_TRUE(std::regex_match(std::string(c.at("card_number").as_string()), std::regex("424242\\*{6}[0-9]{4}")));

  // single_transaction_limit is a per-transaction purchase control: 61 above it.
  EXPECT_EQ(authorize(cards[0], "100.01"), "DECLINED 61");
  EXPECT_EQ(last_available_after_, "50.00");
  // 50 - 45 = 5 < 10: 50 more from the main account, which the answer's available_after
  // already shows.
  EXPECT_EQ(authorize(cards[0], "45.00"), "APPROVED 00");
  EXPECT_EQ(last_available_after_, "55.00");
  EXPECT_EQ(card_field(cards[0], "balance"), "55.00");
  EXPECT_EQ(main_balance(merchant_id_), "9850.00");
  expect_ledger_invariants();
  // 55 - 4 = 51: above the minimum, nothing moves.
  EXPECT_EQ(authorize(cards[0], "4.00"), "APPROVED 00");
  EXPECT_EQ(last_available_after_, "51.00");
  EXPECT_EQ(card_field(cards[0], "balance"), "51.00");
  EXPECT_EQ(main_balance(merchant_id_), "9850.00");
  EXPECT_EQ(card_field(cards[1], "balance"), "50.00");
  expect_ledger_invariants();
}

TEST_P(Adpos, SharedSeedExampleAsUrlencodedResetsItsCap) {
  Reply applied = apply_form(shared_seed_example());
  const std::vector<std::string> cards = task_cards(task_id_of(applied));
  ASSERT_EQ(cards.size(), 1u);
  const std::string& id = cards[0];
  EXPECT_EQ(main_balance(merchant_id_), "10000.00") << "a shared card holds no money of its own";
  const bj::object c = card(id);
  EXPECT_EQ(c.at("card_type").as_string(), "shared");
  EXPECT_EQ(c.at("shared_card_balance").as_string(), "100.00");
  EXPECT_EQ(c.at("shared_card_balance_unlimit").as_int64(), 0);
  EXPECT_EQ(c.at("balance").as_string(), "100.00");
  EXPECT_EQ(c.at("auto_topup_rule"), (bj::object{{"min_balance", "10.00"}, {"require_balance", "100.00"}}));
  EXPECT_EQ(c.at("single_transaction_limit").as_string(), "50.00");
  EXPECT_TRUE(c.at("username").is_null());

  EXPECT_EQ(authorize(id, "50.01"), "DECLINED 61");
  EXPECT_EQ(authorize(id, "45.00"), "APPROVED 00");
  EXPECT_EQ(card_field(id, "shared_card_balance"), "55.00");  // 55 left: above 10, no reset
  EXPECT_EQ(main_available(), "9955.00");
  EXPECT_EQ(authorize(id, "50.00"), "APPROVED 00");
  // 5 left < 10: the remaining cap is reset to require_balance; the money stays in main.
  EXPECT_EQ(card_field(id, "shared_card_balance"), "100.00");
  EXPECT_EQ(card_field(id, "shared_card_balance_used"), "95.00");
  EXPECT_EQ(main_available(), "9905.00");
  EXPECT_EQ(main_balance(merchant_id_), "10000.00");  // holds, not yet captured
  expect_ledger_invariants();
}

TEST_P(Adpos, SeedExamplesAsJsonAndUnlimitedSharedCards) {
  bj::object standard{{"num", 2},
                      {"card_type", "standard"},
                      {"card_bin", bin_},
                      {"request_id", "unique_request_001"},
                      {"every_card_top_up_amount", 50},
                      {"username", "test_username"},
                      {"auto_topup", 1},
                      {"auto_topup_rule", bj::object{{"min_balance", 10}, {"topup_amount", 50}}},
                      {"single_transaction_limit", 100},
                      {"single_transaction_unlimit", 0}};
  bj::object shared{{"num", 1},
                    {"card_type", "shared"},
                    {"card_bin", bin_},
                    {"request_id", "unique_request_002"},
                    {"auto_topup", 1},
                    {"auto_topup_rule", bj::object{{"min_balance", 10}, {"require_balance", 100}}},
                    {"shared_card_balance", 100},
                    {"shared_card_balance_unlimit", 0},
                    {"single_transaction_limit", 50},
                    {"single_transaction_unlimit", 0}};
  EXPECT_EQ(task_cards(task_id_of(apply_json(standard))).size(), 2u);
  EXPECT_EQ(task_cards(task_id_of(apply_json(shared))).size(), 1u);
  // Defaults: a shared card unlimited, no single-transaction limit.
  const auto unlimited = task_cards(task_id_of(apply_json(bj::object{{"num", 1}, {"card_bin", bin_}, {"card_type", "shared"}})));
  ASSERT_EQ(unlimited.size(), 1u);
  const bj::object c = card(unlimited[0]);
  EXPECT_TRUE(c.at("shared_card_balance").is_null());
  EXPECT_EQ(c.at("shared_card_balance_unlimit").as_int64(), 1);
  EXPECT_EQ(c.at("single_transaction_unlimit").as_int64(), 1);
  EXPECT_EQ(c.at("balance").as_string(), "9900.00");  // the main account, after the standard cards' 100
  EXPECT_EQ(total("/cards"), 4);
  expect_ledger_invariants();
}

// ---- validation ----

struct Invalid {
  Fields fields;       // added to num=1 and card_bin (a value of "-" removes that field)
  std::string field;   // the field the 422 must name
};

TEST_P(Adpos, EveryValidationRuleAnswers422NamingTheField) {
  const std::string rule_standard = R"({"min_balance":10,"topup_amount":50})";
  const std::vector<Invalid> cases = {
      {{{"num", "-"}}, "num"},
      {{{"num", "0"}}, "num"},
      {{{"num", "31"}}, "num"},
      {{{"num", "two"}}, "num"},
      {{{"card_bin", "-"}}, "card_bin"},
      {{{"card_bin", "999:424242"}}, "card_bin"},
      {{{"card_bin", "424242"}}, "card_bin"},
      {{{"card_type", "virtual"}}, "card_type"},
      {{{"request_id", std::string(65, 'r')}}, "request_id"},
      {{{"username", std::string(65, 'u')}}, "username"},
      {{{"every_card_top_up_amount", "-1"}}, "every_card_top_up_amount"},
      {{{"every_card_top_up_amount", "1.001"}}, "every_card_top_up_amount"},
      {{{"every_card_top_up_amount", "ten"}}, "every_card_top_up_amount"},
      {{{"auto_topup", "2"}}, "auto_topup"},
      {{{"auto_topup", "1"}}, "auto_topup_rule"},
      {{{"auto_topup", "1"}, {"auto_topup_rule", "{not json"}}, "auto_topup_rule"},
      {{{"auto_topup", "1"}, {"auto_topup_rule", R"({"min_balance":10})"}}, "auto_topup_rule.topup_amount"},
      {{{"auto_topup", "1"}, {"auto_topup_rule", R"({"min_balance":-1,"topup_amount":5})"}}, "auto_topup_rule.min_balance"},
      {{{"auto_topup", "1"}, {"auto_topup_rule", R"({"min_balance":1,"topup_amount":0})"}}, "auto_topup_rule.topup_amount"},
      {{{"card_type", "shared"}, {"auto_topup", "1"}, {"auto_topup_rule", rule_standard}}, "auto_topup_rule.require_balance"},
      {{{"auto_topup", "1"}, {"auto_topup_rule[min_balance]", "-5"}, {"auto_topup_rule[topup_amount]", "5"}},
       "auto_topup_rule.min_balance"},
      {{{"shared_card_balance", "50000.01"}}, "shared_card_balance"},
      {{{"shared_card_balance", "-1"}}, "shared_card_balance"},
      {{{"card_type", "shared"}, {"shared_card_balance_unlimit", "0"}}, "shared_card_balance"},
      {{{"shared_card_balance_unlimit", "2"}}, "shared_card_balance_unlimit"},
      {{{"single_transaction_limit", "-5"}}, "single_transaction_limit"},
      {{{"single_transaction_unlimit", "0"}}, "single_transaction_limit"},
      {{{"single_transaction_unlimit", "no"}}, "single_transaction_unlimit"},
  };
  for (const Invalid& c : cases) {
    Fields fields{{"num", "1"}, {"card_bin", bin_}};
    for (const auto& [name, value] : c.fields) {
      auto same = std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == name; });
      if (same != fields.end()) fields.erase(same);
      if (value != "-") fields.emplace_back(name, value);
    }
    Reply reply = apply_form(fields);
    EXPECT_EQ(reply.status, 422) << c.field << ": " << reply.body;
    if (reply.status != 422) continue;
    EXPECT_TRUE(reply["message"].is_string());
    EXPECT_TRUE(reply["errors"].as_object().contains(c.field)) << c.field << ": " << reply.body;
  }
  // Several at once are all named.
  Reply many = apply_form({{"num", "0"}, {"card_bin", bin_}, {"card_type", "virtual"}});
  ASSERT_EQ(many.status, 422);
  EXPECT_EQ(many["errors"].as_object().size(), 2u);
  EXPECT_EQ(many.text("message"), "The num field must be between 1 and 30. (and 1 more error)");
  // The bounds themselves are valid; a rule is ignored while auto_topup is 0.
  EXPECT_EQ(apply_form({{"num", "1"}, {"card_bin", bin_}, {"card_type", "shared"}, {"shared_card_balance", "50000"},
                        {"shared_card_balance_unlimit", "0"}}).status, 200);
  EXPECT_EQ(apply_form({{"num", "1"}, {"card_bin", bin_}, {"shared_card_balance", "0"},
                        {"auto_topup", "0"}, {"auto_topup_rule", "ignored"}}).status, 200);
  // Bodies that are not forms or JSON at all.
  EXPECT_EQ(call("POST", "/cards/apply", "num=%zz", auth(), "application/x-www-form-urlencoded").status, 400);
  EXPECT_EQ(call("POST", "/cards/apply", "num=1&num=2", auth(), "application/x-www-form-urlencoded").status, 400);
  EXPECT_EQ(call("POST", "/cards/apply", "--x\r\nbroken", auth(), "multipart/form-data; boundary=x").status, 400);
  EXPECT_EQ(call("POST", "/cards/apply", "{\"num\":", auth()).status, 400);
  EXPECT_EQ(call("POST", "/cards/apply", "num=1", auth(), "text/plain").status, 415);
  EXPECT_EQ(total("/cards/tasks"), 2) << "only the two valid requests made tasks";
}

// ---- permission ----

TEST_P(Adpos, BinsNotOpenToTheMerchantAndShortMainAccountsAre403) {
  auto [other_id, other_key] = create_merchant("Other");
  Reply restricted = admin("POST", "/admin/v1/card-products",
                           bj::serialize(bj::object{{"name", "Other's"}, {"bin", "455555"}, {"network", "visa"},
                                                    {"currency", "USD"}, {"card_level", "1"}, {"form", "virtual"},
                                                    {"merchant_ids", bj::array{bj::value(other_id)}}}));
  ASSERT_EQ(restricted.status, 201);
  const std::string their_bin = restricted.text("card_product_id") + ":455555";
  Reply forbidden = apply_form({{"num", "1"}, {"card_bin", their_bin}});
  EXPECT_EQ(forbidden.status, 403) << forbidden.body;
  EXPECT_TRUE(forbidden["message"].is_string());

  // 3 x 5000.00 > 10000.00: refused, nothing created or moved.
  const Fields costly{{"num", "3"}, {"card_bin", bin_}, {"every_card_top_up_amount", "5000"}, {"request_id", "r-403"}};
  Reply short_main = apply_multipart(costly);
  EXPECT_EQ(short_main.status, 403) << short_main.body;
  EXPECT_EQ(total("/cards/tasks"), 0);
  EXPECT_EQ(main_balance(merchant_id_), "10000.00");
  // A refusal is not remembered: the same request_id works once the money is there.
  deposit(merchant_id_, "5000.00");
  const auto cards = task_cards(task_id_of(apply_multipart(costly)));
  EXPECT_EQ(cards.size(), 3u);
  EXPECT_EQ(main_balance(merchant_id_), "0.00");
  expect_ledger_invariants();
}

// ---- replay ----

TEST_P(Adpos, ReplayedRequestIdReturnsTheSameTaskAndDoesNothingAgain) {
  bj::object json{{"num", 2},
                  {"card_bin", bin_},
                  {"request_id", "replay-1"},
                  {"every_card_top_up_amount", 50},
                  {"auto_topup", 1},
                  {"auto_topup_rule", bj::object{{"min_balance", 10}, {"topup_amount", 50}}}};
  const std::int64_t first = task_id_of(apply_json(json));
  // The same request as a form, rule in PHP-style fields: the same request.
  const Fields form{{"num", "2"},
                    {"card_bin", bin_},
                    {"request_id", "replay-1"},
                    {"every_card_top_up_amount", "50.00"},
                    {"auto_topup", "1"},
                    {"auto_topup_rule[min_balance]", "10"},
                    {"auto_topup_rule[topup_amount]", "50"}};
  EXPECT_EQ(task_id_of(apply_form(form)), first);
  EXPECT_EQ(task_cards(first).size(), 2u);
  EXPECT_EQ(task_id_of(apply_json(json)), first);  // after it completed, too
  EXPECT_EQ(total("/cards/tasks"), 1);
  EXPECT_EQ(total("/cards"), 2);
  EXPECT_EQ(main_balance(merchant_id_), "9900.00");

  json["num"] = 3;
  Reply other = apply_json(json);
  EXPECT_EQ(other.status, 409) << other.body;
  // Without request_id every call is a new task.
  const std::int64_t a = task_id_of(apply_form({{"num", "1"}, {"card_bin", bin_}}));
  const std::int64_t b = task_id_of(apply_form({{"num", "1"}, {"card_bin", bin_}}));
  EXPECT_NE(a, b);
  EXPECT_EQ(task_cards(b).size(), 1u);
  EXPECT_EQ(total("/cards/tasks"), 3);
  expect_ledger_invariants();
}

// ---- bulk and durability ----

TEST_P(Adpos, ThirtyCardTaskCompletesInTheBackground) {
  const auto started = std::chrono::steady_clock::now();
  const std::int64_t task_id =
      task_id_of(apply_multipart({{"num", "30"}, {"card_bin", bin_}, {"every_card_top_up_amount", "10.00"}}));
  Reply task = wait_task(task_id);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_LT(elapsed, 5s);
  ASSERT_EQ(task.text("status"), "completed") << task.body;
  EXPECT_EQ(task["created_count"].as_int64(), 30);
  EXPECT_EQ(task["failed_count"].as_int64(), 0);
  EXPECT_EQ(task["cards"].as_array().size(), 30u);
  EXPECT_FALSE(has_full_pan(task.body));
  EXPECT_EQ(main_balance(merchant_id_), "9700.00");

  Reply first = call("GET", "/cards?page=1&per_page=20", {}, auth());
  Reply second = call("GET", "/cards?page=2&per_page=20", {}, auth());
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first["data"].as_array().size(), 20u);
  EXPECT_EQ(second["data"].as_array().size(), 10u);
  EXPECT_EQ(first["meta"].at("total").as_int64(), 30);
  EXPECT_EQ(first["meta"].at("last_page").as_int64(), 2);
  EXPECT_FALSE(has_full_pan(first.body + second.body));
  std::set<std::string> ids;
  for (const Reply* page : {&first, &second}) {
    for (const auto& c : (*page)["data"].as_array()) {
      ids.emplace(c.at("card_id").as_string());
      EXPECT_EQ(c.at("balance").as_string(), "10.00");
    }
  }
  EXPECT_EQ(ids.size(), 30u);
  EXPECT_EQ(call("GET", "/cards?per_page=101", {}, auth()).status, 422);
  Reply tasks = call("GET", "/cards/tasks", {}, auth());
  EXPECT_EQ(tasks["data"].as_array()[0].at("task_id").as_int64(), task_id);
  expect_ledger_invariants();
}

TEST_P(Adpos, TasksSurviveARestartAndRecordFailuresPerCard) {
  // Killed at once: the job is durable and runs after the restart, once.
  const std::int64_t killed = task_id_of(apply_form({{"num", "5"}, {"card_bin", bin_}, {"every_card_top_up_amount", "1"}}));
  server_->kill_hard();
  server_->restart();
  client_ = std::make_unique<http::Client>(server_->client());
  EXPECT_EQ(task_cards(killed).size(), 5u);
  EXPECT_EQ(total("/cards"), 5);

  // A task left pending while the server was down, whose funding the main account can cover
  // only twice (as when the balance fell after the request was accepted): two cards, one
  // failure with its reason, and nothing of the failed card left behind.
  server_->stop();
  {
    auto connection = database_->connect();
    storage::Store store(*connection);
    ASSERT_TRUE(connection->begin().ok());
    const std::int64_t task_id = *store.adpos().next_task_id();
    const std::string request = R"({"num":3,"card_type":"standard","card_product_id":")" + product_id_ +
                                R"(","card_bin":")" + bin_ +
                                R"(","currency":"USD","every_card_top_up_minor":400000,"username":"late"})";
    ASSERT_TRUE(store.adpos().insert_task({task_id, merchant_id_, std::nullopt, "pending", request, 3, 0, 0, 1, 1}).ok());
    ASSERT_TRUE(store.jobs().insert({"adpos-test-job", "adpos_task", std::to_string(task_id), "pending", 0, 0,
                                     std::nullopt, 1, 1}).ok());
    ASSERT_TRUE(connection->commit().ok());
    server_->restart();
    client_ = std::make_unique<http::Client>(server_->client());
    Reply task = wait_task(task_id);
    EXPECT_EQ(task.text("status"), "partially_failed") << task.body;
    EXPECT_EQ(task["created_count"].as_int64(), 2);
    EXPECT_EQ(task["failed_count"].as_int64(), 1);
    ASSERT_EQ(task["failures"].as_array().size(), 1u);
    EXPECT_EQ(task["failures"].as_array()[0].at("index").as_int64(), 2);
    EXPECT_NE(std::string(task["failures"].as_array()[0].at("reason").as_string()).find("insufficient_main_balance"),
              std::string::npos);
  }
  EXPECT_EQ(main_balance(merchant_id_), "1995.00");  // 10000 - 5 - 2 x 4000
  EXPECT_EQ(total("/cards"), 7);
  expect_ledger_invariants();
}

// ---- callbacks ----

struct Signed {
  std::string timestamp;
  std::string v1;
};

Signed read_signature(std::string_view header) {
  std::smatch match;
  const std::string text(header);
  if (!std::regex_match(text, match, std::regex("t=([0-9]+),v1=([0-9a-f]{64})"))) return {};
  return {match[1], match[2]};
}

TEST_P(Adpos, TransactionCallbacksAreSignedAndNeverCarryThePan) {
  Receiver receiver;
  ASSERT_EQ(admin("POST", "/admin/v1/merchants/" + merchant_id_ + "/webhooks",
                  bj::serialize(bj::object{{"url", receiver.url("/adpos/hooks")}})).status, 200);
  Reply token = call("POST", "/auth/access-token",
                     bj::serialize(bj::object{{"merchant_id", merchant_id_}, {"api_key", api_key_}}));
  const std::string secret = token.text("webhook_secret");
  const auto cards = task_cards(task_id_of(apply_form({{"num", "1"}, {"card_bin", bin_}, {"every_card_top_up_amount", "50"},
                                                       {"auto_topup", "1"}, {"auto_topup_rule[min_balance]", "10"},
                                                       {"auto_topup_rule[topup_amount]", "50"}})));
  ASSERT_EQ(cards.size(), 1u);
  EXPECT_EQ(authorize(cards[0], "45.00"), "APPROVED 00");    // and an auto top-up
  EXPECT_EQ(authorize(cards[0], "1000.00"), "DECLINED 51");  // 55 on the card
  ASSERT_TRUE(eventually([&] { return adpos_requests(receiver).size() >= 3; }, std::chrono::seconds(15))) << adpos_requests(receiver).size();

  std::multiset<std::string> seen;
  for (const http::Request& request : adpos_requests(receiver)) {
    const Signed signature = read_signature(request.header("x-adpos-signature").value_or(""));
    ASSERT_FALSE(signature.v1.empty()) << request.header("x-adpos-signature").value_or("");
    EXPECT_EQ(crypto::hmac_sha256_hex(secret, signature.timestamp + "." + request.body), signature.v1);
    EXPECT_NE(crypto::hmac_sha256_hex(secret, signature.timestamp + "." + request.body + " "), signature.v1);
    const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch()).count();
    EXPECT_LT(std::abs(now_s - std::stoll(signature.timestamp)), 300);
    EXPECT_FALSE(has_full_pan(request.body)) << request.body;
    const bj::object body = bj::parse(request.body).as_object();
    const std::string type(request.header("x-adpos-event").value_or(""));
    if (type == "CARD_AUTO_TOP_UP") {
      seen.insert("top_up " + std::string(body.at("status").as_string()));
      continue;
    }
    EXPECT_EQ(type, "ADPOS_TRANSACTION");
    EXPECT_TRUE(std::regex_match(std::string(body.at("card_number").as_string()), std::regex("424242\\*{6}[0-9]{4}")));
    seen.insert(std::string(body.at("status").as_string()) + " " + std::string(body.at("transaction_type").as_string()) +
                " " + std::string(body.at("billing_status").as_string()) +
                (body.at("fail_reason").is_null() ? "" : " with reason"));
  }
  EXPECT_EQ(seen, (std::multiset<std::string>{"approved authorization pending", "top_up success",
                                              "declined authorization declined with reason"}));
}

TEST_P(Adpos, AFailedAutoTopUpIsRecordedCalledBackAndMovesNothing) {
  Receiver receiver;
  ASSERT_EQ(admin("POST", "/admin/v1/merchants/" + merchant_id_ + "/webhooks",
                  bj::serialize(bj::object{{"url", receiver.url("/adpos/hooks")}})).status, 200);
  const auto cards = task_cards(task_id_of(apply_multipart({{"num", "1"}, {"card_bin", bin_}, {"every_card_top_up_amount", "50"},
                                                            {"auto_topup", "1"},
                                                            {"auto_topup_rule", R"({"min_balance":"10","topup_amount":"50"})"}})));
  ASSERT_EQ(cards.size(), 1u);
  // Empty the main account, then spend below the minimum.
  Reply withdrawn = admin("POST", "/admin/v1/merchants/" + merchant_id_ + "/withdrawals",
                          bj::serialize(bj::object{{"amount", "9950.00"}, {"currency", "USD"}}),
                          {{"Idempotency-Key", "drain"}});
  ASSERT_EQ(withdrawn.status, 201) << withdrawn.body;
  EXPECT_EQ(authorize(cards[0], "45.00"), "APPROVED 00");
  EXPECT_EQ(card_field(cards[0], "balance"), "5.00");
  EXPECT_EQ(main_balance(merchant_id_), "0.00");
  ASSERT_TRUE(eventually([&] {
    for (const auto& request : adpos_requests(receiver)) {
      if (request.header("x-adpos-event").value_or("") != "CARD_AUTO_TOP_UP") continue;
      const bj::object body = bj::parse(request.body).as_object();
      return body.at("status").as_string() == "failed" && body.at("fail_reason").as_string() == "insufficient_main_balance";
    }
    return false;
  }, std::chrono::seconds(15)));
  expect_ledger_invariants();
}

ISSUERD_E2E_SUITE(Adpos);

}  // namespace
}  // namespace issuerd::e2e
