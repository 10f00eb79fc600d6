// The network simulator (/sim/v1) and the authorization engine over real HTTP on both
// databases (issue #4): every decline reason in its order (14, 54, 82, 62, 41, 43, 46, 57,
// 61, 51, 05), approve then capture / reverse / expire, partial capture and reversal,
// capture tolerance, FX with a rate and a fee, refunds, who may see what, Idempotency-Key,
// what merchants see (transactions, callbacks, metrics), calendar windows rolling over on
// the test clock, and 50 concurrent authorizations on a card that covers exactly 10. The
// fixture checks the ledger invariants after every test.
#include <algorithm>
#include <fstream>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "e2e_support.h"
#include "musepay_client.h"

namespace issuerd::e2e {
namespace {

// A card and the partner client that owns it.
struct Card {
  std::string card_id;
  std::string user_id;
  MusePayClient* owner = nullptr;
};

// What the one-time sensitive-info link shows.
struct CardSecrets {
  std::string pan;
  std::int64_t expiry_month = 0;
  std::int64_t expiry_year = 0;  // four digits
  std::string cvv;
};

// "http://host:port/v1/..." -> "/v1/..."
std::string path_of(const std::string& url) {
  const auto scheme = url.find("://");
  const auto path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return path == std::string::npos ? std::string() : url.substr(path);
}

// One authorization reply as one line: "APPROVED 00", "DECLINED 61 exceeds_DAY_limit", or
// "HTTP 422 missing_idempotency_key" when it was refused rather than decided.
std::string outcome(const Reply& reply) {
  if (!reply.json.is_object()) return "HTTP " + std::to_string(reply.status) + " (no JSON)";
  const bj::object& body = reply.json.as_object();
  if (reply.status != 201 && reply.status != 200) {
    const bj::value* reason = body.if_contains("reason");
    return "HTTP " + std::to_string(reply.status) +
           (reason != nullptr && reason->is_string() ? " " + std::string(reason->as_string()) : std::string());
  }
  std::string line = std::string(body.at("status").as_string()) + " " + std::string(body.at("response_code").as_string());
  if (const bj::value& reason = body.at("decline_reason"); reason.is_string()) line += " " + std::string(reason.as_string());
  return line;
}

// A capture, reversal, expiry or refund as "OK <status> <state>" when it went through, or
// "HTTP <status> <reason>" when it was refused.
std::string write_result(const Reply& reply) {
  if (reply.status == 200 || reply.status == 201) {
    const bj::value* state = reply.json.is_object() ? reply.json.as_object().if_contains("state") : nullptr;
    return "OK " + std::to_string(reply.status) +
           (state != nullptr && state->is_string() ? " " + std::string(state->as_string()) : std::string());
  }
  return outcome(reply);
}

class Simulator : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    std::tie(merchant_id_, api_key_) = create_merchant("Sim Program");
    ASSERT_FALSE(merchant_id_.empty());
    deposit(merchant_id_, "100000.00");
    product_id_ = create_product();
    musepay_ = std::make_unique<MusePayClient>(*this, merchant_id_, api_key_);
  }

  // ---- setup helpers ----

  // A USD virtual product with simulator settings (capture_tolerance_rate, fx_fee_rate).
  std::string product_with(const bj::object& settings) {
    bj::object body{{"name", "Sim product"}, {"bin", "424242"}, {"network", "visa"},
                    {"currency", "USD"},     {"card_level", "1"}, {"form", "virtual"}};
    for (const auto& field : settings) body[field.key()] = field.value();
    Reply reply = admin("POST", "/admin/v1/card-products", bj::serialize(body));
    EXPECT_EQ(reply.status, 201) << reply.body;
    return reply.status == 201 ? reply.text("card_product_id") : std::string();
  }

  // A new holder's card (issued at the test clock's time), topped up with `amount` if given.
  Card issue(const std::string& top_up_amount = {}, const std::string& product_id = {},
             MusePayClient* owner = nullptr) {
    MusePayClient& client = owner != nullptr ? *owner : *musepay_;
    Card card;
    card.owner = &client;
    card.user_id = client.create_holder("sim-holder-" + std::to_string(++holder_counter_));
    card.card_id = client.issue_card(card.user_id, product_id.empty() ? product_id_ : product_id);
    EXPECT_FALSE(card.card_id.empty());
    if (!top_up_amount.empty()) top_up(card, top_up_amount);
    return card;
  }

  void top_up(const Card& card, const std::string& amount) {
    Reply reply = card.owner->call("/v1/cardaccount/topup",
                                   bj::object{{"request_id", "sim-topup-" + std::to_string(++topup_counter_)},
                                              {"card_id", card.card_id},
                                              {"amount", amount},
                                              {"currency", "USD"},
                                              {"user_id", card.user_id}});
    EXPECT_EQ(reply.status, 200) << reply.body;
  }

  Reply card_call(const Card& card, const std::string& path, bj::object extra = {}) {
    extra["card_id"] = card.card_id;
    extra["user_id"] = card.user_id;
    return card.owner->call(path, std::move(extra));
  }

  // /v1/card/query card_available_balance.
  std::string balance(const Card& card) {
    Reply reply = card_call(card, "/v1/card/query");
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply.status == 200 ? std::string(reply["data"].at("card_available_balance").as_string()) : "?";
  }

  void set_daily_limit(const Card& card, const std::string& amount) {
    Reply reply = card_call(card, "/v1/card/limitChange", {{"daily_purchase_limit", amount}});
    EXPECT_EQ(reply.status, 200) << reply.body;
  }

  // Replaces `card` (LOST, STOLEN, DAMAGED, ...) and returns the new card.
  Card replace(const Card& card, const std::string& reason) {
    const std::string request_id = "sim-replace-" + std::to_string(++holder_counter_);
    Reply replaced = card.owner->call("/v1/card/replace", bj::object{{"original_card_id", card.card_id},
                                                                     {"user_id", card.user_id},
                                                                     {"request_id", request_id},
                                                                     {"replace_reason", reason}});
    EXPECT_EQ(replaced.status, 200) << replaced.body;
    Reply result = card.owner->wait_for_application(card.user_id, request_id);
    EXPECT_EQ(result["data"].at("apply_status").as_string(), "AUDIT_PASS") << result.body;
    const bj::value& card_id = result["data"].at("card_id");
    return Card{card_id.is_string() ? std::string(card_id.as_string()) : std::string(), card.user_id, card.owner};
  }

  // PAN, expiry and CVV2 from the one-time sensitive-info link.
  CardSecrets secrets(const Card& card) {
    Reply link = card_call(card, "/v1/card/card-sensitive-info", {{"ip_address", "127.0.0.1"}});
    EXPECT_EQ(link.status, 200) << link.body;
    if (link.status != 200) return {};
    Reply shown = call("GET", path_of(std::string(link["data"].at("url").as_string())));
    EXPECT_EQ(shown.status, 200) << shown.body;
    if (shown.status != 200) return {};
    return CardSecrets{shown.text("card_number"), std::stoll(shown.text("expiry_month")),
                       std::stoll(shown.text("expiry_year")), shown.text("security_code")};
  }

  void set_clock(const std::string& now) {
    Reply reply = admin("POST", "/admin/v1/test/clock", bj::serialize(bj::object{{"now", now}}));
    ASSERT_EQ(reply.status, 200) << reply.body;
  }

  void set_fx_rate(const std::string& base, const std::string& quote, const std::string& rate) {
    Reply reply = admin("POST", "/admin/v1/fx-rates",
                        bj::serialize(bj::object{{"base", base}, {"quote", quote}, {"rate", rate}}));
    EXPECT_EQ(reply.status, 200) << reply.body;
  }

  // Straight into the database, for settings no API reaches yet; then the writer is told to
  // read the rows again (it keeps hot ones in memory).
  void sql(const std::string& statement, const std::vector<storage::SqlValue>& params) {
    auto connection = database_->connect();
    auto done = connection->execute(statement, params);
    ASSERT_TRUE(done.ok()) << statement << ": " << done.error().message;
    const Reply reloaded = admin("POST", "/admin/v1/writer/reload");
    ASSERT_EQ(reloaded.status, 200) << reloaded.body;
  }

  void insert_control(const Card& card, const std::string& type, const std::string& period,
                      std::int64_t limit_minor, bool active = true) {
    sql("INSERT INTO spend_controls (card_id, transaction_type, period, amount_limit_minor, currency, active, "
        "created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {card.card_id, type, period, limit_minor, std::string("USD"), std::int64_t{active ? 1 : 0}, std::int64_t{0},
         std::int64_t{0}});
  }

  // The end of the server's log, to show why it stopped.
  std::string log_tail() const {
    std::ifstream in(server_->log_path(), std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    const std::string all = out.str();
    return all.size() > 1500 ? all.substr(all.size() - 1500) : all;
  }

  // ---- the simulator ----

  Headers merchant_auth() const { return {{"x-api-key", api_key_}}; }
  Headers admin_auth() const { return {{"Authorization", "Bearer " + server_->admin_token()}}; }

  // POSTs to /sim/v1 with a fresh Idempotency-Key unless `key` is given ("" sends none).
  Reply sim_post(const std::string& path, const bj::object& body, std::optional<Headers> auth = std::nullopt,
                 std::optional<std::string> key = std::nullopt) {
    Headers headers = auth ? *auth : merchant_auth();
    if (!key) key = "sim-key-" + std::to_string(++key_counter_);
    if (!key->empty()) headers.emplace_back("Idempotency-Key", *key);
    return call("POST", path, bj::serialize(body), std::move(headers));
  }

  // Authorizes `amount` (USD unless `extra` says otherwise) on `card`.
  Reply authorize(const Card& card, const std::string& amount, bj::object extra = {},
                  std::optional<Headers> auth = std::nullopt) {
    extra["card_id"] = card.card_id;
    extra["amount"] = amount;
    if (!extra.contains("currency")) extra["currency"] = "USD";
    return sim_post("/sim/v1/authorizations", extra, std::move(auth));
  }

  // An approved authorization's id ("" and a failure otherwise).
  std::string approve(const Card& card, const std::string& amount, bj::object extra = {}) {
    Reply reply = authorize(card, amount, std::move(extra));
    EXPECT_EQ(outcome(reply), "APPROVED 00") << reply.body;
    return reply.status == 201 ? reply.text("authorization_id") : std::string();
  }

  Reply change(const std::string& id, const std::string& action, std::optional<std::string> amount = std::nullopt,
               std::optional<Headers> auth = std::nullopt) {
    bj::object body;
    if (amount) body["amount"] = *amount;
    return sim_post("/sim/v1/authorizations/" + id + "/" + action, body, std::move(auth));
  }
  Reply capture(const std::string& id, std::optional<std::string> amount = std::nullopt,
                std::optional<Headers> auth = std::nullopt) {
    return change(id, "capture", std::move(amount), std::move(auth));
  }
  Reply reverse(const std::string& id, std::optional<std::string> amount = std::nullopt,
                std::optional<Headers> auth = std::nullopt) {
    return change(id, "reverse", std::move(amount), std::move(auth));
  }
  Reply expire(const std::string& id, std::optional<Headers> auth = std::nullopt) {
    return change(id, "expire", std::nullopt, std::move(auth));
  }
  Reply refund(const bj::object& body, std::optional<Headers> auth = std::nullopt) {
    return sim_post("/sim/v1/refunds", body, std::move(auth));
  }
  Reply get(const std::string& id, std::optional<Headers> auth = std::nullopt) {
    return call("GET", "/sim/v1/authorizations/" + id, {}, auth ? *auth : merchant_auth());
  }

  // ---- what the merchant sees ----

  // The card's transactions as "TYPE STATUS amount" lines.
  std::multiset<std::string> transactions(const Card& card) {
    Reply reply = card_call(card, "/v1/cardaccount/transactions", {{"page_size", 1000}});
    EXPECT_EQ(reply.status, 200) << reply.body;
    std::multiset<std::string> lines;
    if (reply.status != 200) return lines;
    for (const auto& item : reply["data"].at("transactions").as_array()) {
      lines.insert(std::string(item.at("txType").as_string()) + " " + std::string(item.at("txStatus").as_string()) +
                   " " + std::string(item.at("txAmount").as_string()));
    }
    return lines;
  }

  // The card's transaction list items of one type and status.
  std::vector<bj::object> transaction_items(const Card& card, const std::string& type, const std::string& status) {
    Reply reply = card_call(card, "/v1/cardaccount/transactions", {{"tx_type", type}, {"tx_status", status}});
    EXPECT_EQ(reply.status, 200) << reply.body;
    std::vector<bj::object> items;
    if (reply.status != 200) return items;
    for (const auto& item : reply["data"].at("transactions").as_array()) items.push_back(item.as_object());
    return items;
  }

  std::int64_t events_of_type(const std::string& merchant_id, const std::string& type) {
    Reply reply = admin("GET", "/admin/v1/merchants/" + merchant_id + "/events?limit=1000");
    EXPECT_EQ(reply.status, 200) << reply.body;
    if (reply.status != 200) return -1;
    const bj::array& events = reply["data"].as_array();
    return std::count_if(events.begin(), events.end(),
                         [&](const bj::value& event) { return event.at("type").as_string() == type; });
  }

  // issuerd_authorizations_total{result="<result>"} from /metrics (0 when absent).
  std::int64_t authorizations_metric(const std::string& result) {
    Reply reply = call("GET", "/metrics");
    EXPECT_EQ(reply.status, 200);
    const std::string series = "issuerd_authorizations_total{result=\"" + result + "\"} ";
    const auto at = reply.body.find(series);
    if (at == std::string::npos) return 0;
    return std::stoll(reply.body.substr(at + series.size()));
  }

  std::string merchant_id_;
  std::string api_key_;
  std::string product_id_;
  std::unique_ptr<MusePayClient> musepay_;
  int holder_counter_ = 0;
  int topup_counter_ = 0;
  int key_counter_ = 0;
};

// ---- declines ----

// Card known (14), then expiry (54) and CVV2 (82); the card is issued in May 2023, so it
// expires at the end of May 2026.
TEST_P(Simulator, UnknownExpiredAndWrongCredentialsDecline) {
  set_clock("2023-05-15T12:00:00Z");
  Reply unknown = authorize(Card{"no-such-card", "", nullptr}, "10.00");
  ASSERT_EQ(unknown.status, 201) << unknown.body;
  EXPECT_EQ(outcome(unknown), "DECLINED 14 card_unknown");
  EXPECT_EQ(unknown.text("state"), "declined");
  EXPECT_TRUE(unknown["card_id"].is_null());
  EXPECT_TRUE(unknown["available_after"].is_null());
  EXPECT_EQ(unknown.text("approved_amount"), "0.00");
  EXPECT_EQ(unknown.text("held_amount"), "0.00");
  // The decline is a recorded outcome the merchant can read back.
  Reply read = get(unknown.text("authorization_id"));
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(outcome(read), "DECLINED 14 card_unknown");

  // A well-formed PAN that no card has.
  Reply pan = sim_post("/sim/v1/authorizations", bj::object{{"pan", "4242420000000000"},
                                                            {"expiry_month", 12},
                                                            {"expiry_year", 2030},
                                                            {"amount", "10.00"},
                                                            {"currency", "USD"}});
  EXPECT_EQ(outcome(pan), "DECLINED 14 card_unknown") << pan.body;
  Reply admin_unknown = authorize(Card{"no-such-card", "", nullptr}, "1.00", {}, admin_auth());
  EXPECT_EQ(outcome(admin_unknown), "DECLINED 14 card_unknown") << admin_unknown.body;

  // Malformed requests are refused, not declined.
  EXPECT_EQ(outcome(sim_post("/sim/v1/authorizations", bj::object{{"amount", "1.00"}, {"currency", "USD"}})),
            "HTTP 422 missing_field");
  EXPECT_EQ(outcome(sim_post("/sim/v1/authorizations",
                             bj::object{{"pan", "4242420000000000"}, {"amount", "1.00"}, {"currency", "USD"}})),
            "HTTP 422 missing_field");
  EXPECT_EQ(outcome(authorize(Card{"c", "", nullptr}, "1.001")), "HTTP 422 amount_too_precise");
  EXPECT_EQ(outcome(authorize(Card{"c", "", nullptr}, "1.00", {{"currency", "XYZ"}})), "HTTP 422 unknown_currency");

  const Card card = issue("100.00");
  Reply query = card_call(card, "/v1/card/query");
  ASSERT_EQ(query.status, 200) << query.body;
  EXPECT_EQ(query["data"].at("expiry_month").as_string(), "05");
  EXPECT_EQ(query["data"].at("expiry_year").as_string(), "2026");
  const CardSecrets s = secrets(card);
  ASSERT_FALSE(s.pan.empty());
  const std::string wrong_cvv = std::to_string((std::stoi(s.cvv) + 1) % 1000 + 1000).substr(1);
  auto by_pan = [&](std::int64_t month, std::int64_t year, std::optional<std::string> cvv) {
    bj::object body{{"pan", s.pan}, {"expiry_month", month}, {"expiry_year", year}, {"amount", "1.00"},
                    {"currency", "USD"}};
    if (cvv) body["cvv"] = *cvv;
    return outcome(sim_post("/sim/v1/authorizations", body));
  };
  const std::int64_t other_month = s.expiry_month % 12 + 1;
  EXPECT_EQ(by_pan(s.expiry_month, s.expiry_year, s.cvv), "APPROVED 00");
  EXPECT_EQ(by_pan(s.expiry_month, s.expiry_year, wrong_cvv), "DECLINED 82 cvv_mismatch");
  EXPECT_EQ(by_pan(other_month, s.expiry_year, s.cvv), "DECLINED 54 expiry_mismatch");
  EXPECT_EQ(by_pan(s.expiry_month, s.expiry_year + 1, s.cvv), "DECLINED 54 expiry_mismatch");
  // Expiry is checked before the CVV.
  EXPECT_EQ(by_pan(other_month, s.expiry_year, wrong_cvv), "DECLINED 54 expiry_mismatch");
  // A two-digit year is 20YY; the CVV is optional.
  EXPECT_EQ(by_pan(s.expiry_month, s.expiry_year % 100, s.cvv), "APPROVED 00");
  EXPECT_EQ(by_pan(s.expiry_month, s.expiry_year, std::nullopt), "APPROVED 00");
  // A CVV sent with the card_id is checked too.
  EXPECT_EQ(outcome(authorize(card, "1.00", {{"cvv", wrong_cvv}})), "DECLINED 82 cvv_mismatch");
  EXPECT_EQ(outcome(authorize(card, "1.00", {{"cvv", s.cvv}})), "APPROVED 00");
  // Malformed credentials are refused, not declined.
  EXPECT_EQ(by_pan(13, s.expiry_year, s.cvv), "HTTP 422 invalid_expiry");
  EXPECT_EQ(by_pan(s.expiry_month, s.expiry_year, "12"), "HTTP 422 invalid_cvv");
  EXPECT_EQ(outcome(authorize(card, "1.00", {{"pan", s.pan}, {"expiry_month", 1}, {"expiry_year", 2030}})),
            "HTTP 422 missing_field");
  EXPECT_EQ(balance(card), "96.00");

  // Valid through the last moment of its expiry month, UTC.
  set_clock("2026-05-31T23:59:59Z");
  EXPECT_EQ(outcome(authorize(card, "1.00")), "APPROVED 00");
  set_clock("2026-06-01T00:00:00Z");
  EXPECT_EQ(outcome(authorize(card, "1.00")), "DECLINED 54 card_expired");
  EXPECT_EQ(outcome(sim_post("/sim/v1/authorizations", bj::object{{"pan", s.pan},
                                                                  {"expiry_month", s.expiry_month},
                                                                  {"expiry_year", s.expiry_year},
                                                                  {"cvv", s.cvv},
                                                                  {"amount", "1.00"},
                                                                  {"currency", "USD"}})),
            "DECLINED 54 card_expired");
  EXPECT_EQ(balance(card), "95.00");
}

TEST_P(Simulator, StatusChannelFundsAndFxDeclinesInOrder) {
  set_clock("2026-03-10T12:00:00Z");
  const Card card = issue("100.00");

  // LOCK (62), after the credentials: a wrong CVV on a locked card is still 82.
  ASSERT_EQ(card_call(card, "/v1/card/lock").status, 200);
  EXPECT_EQ(outcome(authorize(card, "1.00")), "DECLINED 62 card_locked");
  EXPECT_EQ(outcome(authorize(card, "1.00", {{"cvv", "000"}, {"expiry_month", 1}, {"expiry_year", 2000}})),
            "DECLINED 54 expiry_mismatch");

  // Channel flags (57) come after the status: no API turns them off yet, so the database.
  sql("UPDATE cards SET enable_present_transaction = 0 WHERE card_id = ?", {card.card_id});
  EXPECT_EQ(outcome(authorize(card, "1.00", {{"card_present", true}})), "DECLINED 62 card_locked");
  ASSERT_EQ(card_call(card, "/v1/card/unlock").status, 200);
  EXPECT_EQ(outcome(authorize(card, "1.00", {{"card_present", true}})), "DECLINED 57 channel_disabled");
  EXPECT_EQ(outcome(authorize(card, "1.00", {{"card_present", false}})), "APPROVED 00");
  EXPECT_EQ(outcome(authorize(card, "1.00")), "APPROVED 00");  // card_present defaults to false
  sql("UPDATE cards SET enable_present_transaction = 1, enable_no_present_transaction = 0 WHERE card_id = ?",
      {card.card_id});
  EXPECT_EQ(outcome(authorize(card, "1.00")), "DECLINED 57 channel_disabled");
  EXPECT_EQ(outcome(authorize(card, "1.00", {{"card_present", true}})), "APPROVED 00");
  sql("UPDATE cards SET enable_no_present_transaction = 1 WHERE card_id = ?", {card.card_id});

  // Funds (51), after the spend controls (61).
  EXPECT_EQ(outcome(authorize(card, "97.01")), "DECLINED 51 insufficient_funds");
  set_daily_limit(card, "50.00");
  EXPECT_EQ(outcome(authorize(card, "97.01")), "DECLINED 61 exceeds_DAY_limit");
  set_daily_limit(card, "1000.00");
  EXPECT_EQ(outcome(authorize(card, "97.01")), "DECLINED 51 insufficient_funds");

  // A currency with no rate to the card's (05).
  Reply eur = authorize(card, "1.00", {{"currency", "EUR"}});
  EXPECT_EQ(outcome(eur), "DECLINED 05 no_fx_rate") << eur.body;

  // Declines moved nothing; each is a REJECT in the card's transactions.
  EXPECT_EQ(balance(card), "97.00");
  Reply approved = authorize(card, "97.00");
  EXPECT_EQ(outcome(approved), "APPROVED 00");
  EXPECT_EQ(approved.text("available_after"), "0.00");
  EXPECT_EQ(outcome(authorize(card, "0.01")), "DECLINED 51 insufficient_funds");
  EXPECT_EQ(balance(card), "0.00");
  EXPECT_EQ(transaction_items(card, "CHARGE", "REJECT").size(), 10u);
  EXPECT_EQ(transaction_items(card, "CHARGE", "PENDING").size(), 4u);
}

TEST_P(Simulator, ReplacedCardsDeclineWithTheReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"LOST", "DECLINED 41 card_lost"}, {"STOLEN", "DECLINED 43 card_stolen"}, {"DAMAGED", "DECLINED 46 card_canceled"}};
  for (const auto& [reason, expected] : cases) {
    SCOPED_TRACE(reason);
    const Card original = issue("10.00");
    const Card replacement = replace(original, reason);
    ASSERT_FALSE(replacement.card_id.empty());
    EXPECT_EQ(outcome(authorize(original, "1.00")), expected);
    // The balance moved to the new card, which spends it.
    EXPECT_EQ(outcome(authorize(replacement, "10.00")), "APPROVED 00");
    EXPECT_EQ(balance(replacement), "0.00");
  }
}

TEST_P(Simulator, SpendControlsDecline61) {
  set_clock("2026-03-10T12:00:00Z");
  const Card card = issue("1000.00");
  // DAY through limitChange, up to its edge exactly.
  set_daily_limit(card, "100.00");
  approve(card, "60.00");
  EXPECT_EQ(outcome(authorize(card, "40.01")), "DECLINED 61 exceeds_DAY_limit");
  approve(card, "40.00");
  EXPECT_EQ(outcome(authorize(card, "0.01")), "DECLINED 61 exceeds_DAY_limit");
  // A PURCHASE control does not limit cash withdrawals.
  approve(card, "50.00", {{"transaction_type", "ATM_CASH_WITHDRAWAL"}});

  // TRANSACTION: each authorization alone, no window.
  insert_control(card, "ATM_CASH_WITHDRAWAL", "TRANSACTION", 3000);
  EXPECT_EQ(outcome(authorize(card, "30.01", {{"transaction_type", "ATM_CASH_WITHDRAWAL"}})),
            "DECLINED 61 exceeds_TRANSACTION_limit");
  approve(card, "30.00", {{"transaction_type", "ATM_CASH_WITHDRAWAL"}});
  approve(card, "30.00", {{"transaction_type", "ATM_CASH_WITHDRAWAL"}});

  // An inactive control counts for nothing; MONTH counts this month's 110.00 of cash.
  insert_control(card, "ATM_CASH_WITHDRAWAL", "WEEK", 100, /*active=*/false);
  insert_control(card, "ATM_CASH_WITHDRAWAL", "MONTH", 12000);
  EXPECT_EQ(outcome(authorize(card, "10.01", {{"transaction_type", "ATM_CASH_WITHDRAWAL"}})),
            "DECLINED 61 exceeds_MONTH_limit");
  approve(card, "10.00", {{"transaction_type", "ATM_CASH_WITHDRAWAL"}});
  EXPECT_EQ(outcome(authorize(card, "0.01", {{"transaction_type", "ATM_CASH_WITHDRAWAL"}})),
            "DECLINED 61 exceeds_MONTH_limit");

  // A daily limit of 0 blocks purchases.
  set_daily_limit(card, "0");
  EXPECT_EQ(outcome(authorize(card, "0.01")), "DECLINED 61 exceeds_DAY_limit");
  EXPECT_EQ(balance(card), "780.00");
}

// ---- calendar windows on the test clock ----

TEST_P(Simulator, DayWindowRollsOverAtMidnightUtc) {
  set_clock("2026-03-10T23:59:00Z");
  const Card card = issue("1000.00");
  set_daily_limit(card, "100.00");
  const std::string yesterday = approve(card, "70.00");
  approve(card, "30.00");
  EXPECT_EQ(outcome(authorize(card, "0.01")), "DECLINED 61 exceeds_DAY_limit");

  set_clock("2026-03-11T00:00:01Z");
  const std::string today = approve(card, "100.00");
  EXPECT_EQ(outcome(authorize(card, "40.00")), "DECLINED 61 exceeds_DAY_limit");
  // Releasing yesterday's hold gives yesterday's window back, not today's.
  EXPECT_EQ(write_result(reverse(yesterday)), "OK 200 reversed");
  EXPECT_EQ(outcome(authorize(card, "40.00")), "DECLINED 61 exceeds_DAY_limit");
  // A reversal gives the usage back: the same authorization now approves.
  EXPECT_EQ(write_result(reverse(today)), "OK 200 reversed");
  const std::string again = approve(card, "40.00");
  // A partial capture counts what was captured; the rest is given back.
  EXPECT_EQ(write_result(capture(again, "25.00")), "OK 200 captured");
  approve(card, "75.00");
  EXPECT_EQ(outcome(authorize(card, "0.01")), "DECLINED 61 exceeds_DAY_limit");
  // Refunds do not give usage back.
  EXPECT_EQ(refund(bj::object{{"authorization_id", again}, {"amount", "25.00"}}).status, 201);
  EXPECT_EQ(outcome(authorize(card, "0.01")), "DECLINED 61 exceeds_DAY_limit");
  // The last moment of the day is still the day.
  set_clock("2026-03-11T23:59:59.999Z");
  EXPECT_EQ(outcome(authorize(card, "0.01")), "DECLINED 61 exceeds_DAY_limit");
  set_clock("2026-03-12T00:00:00Z");
  approve(card, "100.00");
  EXPECT_EQ(balance(card), "795.00");
}

TEST_P(Simulator, MonthAndWeekWindowsRollOver) {
  set_clock("2026-01-31T23:59:00Z");
  const Card monthly = issue("1000.00");
  insert_control(monthly, "PURCHASE", "MONTH", 20000);
  approve(monthly, "150.00");
  approve(monthly, "50.00");
  EXPECT_EQ(outcome(authorize(monthly, "0.01")), "DECLINED 61 exceeds_MONTH_limit");
  set_clock("2026-02-01T00:00:01Z");
  approve(monthly, "200.00");
  EXPECT_EQ(outcome(authorize(monthly, "0.01")), "DECLINED 61 exceeds_MONTH_limit");
  set_clock("2026-02-28T23:59:59Z");
  EXPECT_EQ(outcome(authorize(monthly, "0.01")), "DECLINED 61 exceeds_MONTH_limit");
  set_clock("2026-03-01T00:00:00Z");
  approve(monthly, "0.01");
  EXPECT_EQ(balance(monthly), "599.99");

  // A week starts on Sunday 00:00 UTC: 2026-03-14 is a Saturday.
  set_clock("2026-03-14T23:59:00Z");
  const Card weekly = issue("1000.00");
  insert_control(weekly, "PURCHASE", "WEEK", 10000);
  approve(weekly, "100.00");
  EXPECT_EQ(outcome(authorize(weekly, "0.01")), "DECLINED 61 exceeds_WEEK_limit");
  set_clock("2026-03-15T00:00:01Z");  // Sunday
  approve(weekly, "100.00");
  set_clock("2026-03-16T12:00:00Z");  // Monday: the same week
  EXPECT_EQ(outcome(authorize(weekly, "0.01")), "DECLINED 61 exceeds_WEEK_limit");
  set_clock("2026-03-21T23:59:59Z");  // Saturday
  EXPECT_EQ(outcome(authorize(weekly, "0.01")), "DECLINED 61 exceeds_WEEK_limit");
  set_clock("2026-03-22T00:00:00Z");  // Sunday
  approve(weekly, "100.00");
  EXPECT_EQ(balance(weekly), "700.00");
}

// ---- the lifecycle ----

TEST_P(Simulator, ApproveCaptureAndRefund) {
  const Card card = issue("100.00");
  const bj::object shop{{"name", "Corner Shop"}, {"mcc", "5411"}, {"country", "SG"}};
  Reply approved = authorize(card, "40.00", {{"merchant", shop}});
  ASSERT_EQ(outcome(approved), "APPROVED 00") << approved.body;
  const std::string id = approved.text("authorization_id");
  EXPECT_EQ(approved.text("state"), "pending");
  EXPECT_EQ(approved.text("card_id"), card.card_id);
  EXPECT_EQ(approved.text("amount"), "40.00");
  EXPECT_EQ(approved.text("currency"), "USD");
  EXPECT_EQ(approved.text("card_amount"), "40.00");
  EXPECT_EQ(approved.text("card_currency"), "USD");
  EXPECT_TRUE(approved["fx_rate"].is_null());
  EXPECT_EQ(approved.text("fx_fee"), "0.00");
  EXPECT_EQ(approved.text("approved_amount"), "40.00");
  EXPECT_EQ(approved.text("held_amount"), "40.00");
  EXPECT_EQ(approved.text("captured_amount"), "0.00");
  EXPECT_EQ(approved.text("available_after"), "60.00");
  EXPECT_EQ(approved["merchant"].as_object(), shop);
  EXPECT_FALSE(approved["card_present"].as_bool());
  EXPECT_EQ(balance(card), "60.00");  // the hold is not available
  auto pending = transaction_items(card, "CHARGE", "PENDING");
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].at("txAmount").as_string(), "40.00");
  EXPECT_EQ(pending[0].at("merchant").at("name").as_string(), "Corner Shop");
  EXPECT_EQ(pending[0].at("merchant").at("mcc").as_string(), "5411");
  EXPECT_EQ(pending[0].at("merchant").at("country").as_string(), "SG");
  EXPECT_EQ(pending[0].at("authorization").at("amount").as_string(), "40.00");
  EXPECT_EQ(pending[0].at("authorization").at("currency").as_string(), "USD");
  EXPECT_TRUE(pending[0].at("txPostedAt").is_null());

  Reply captured = capture(id);
  ASSERT_EQ(write_result(captured), "OK 200 captured") << captured.body;
  EXPECT_EQ(captured.text("captured_amount"), "40.00");
  EXPECT_EQ(captured.text("held_amount"), "0.00");
  EXPECT_EQ(captured.text("available_after"), "60.00");
  EXPECT_EQ(balance(card), "60.00");
  auto posted = transaction_items(card, "CHARGE", "POSTED");
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_EQ(posted[0].at("txAmount").as_string(), "40.00");
  EXPECT_FALSE(posted[0].at("txPostedAt").is_null());
  EXPECT_EQ(posted[0].at("merchant").at("name").as_string(), "Corner Shop");

  // One capture per authorization; a captured one cannot be reversed or expired either.
  EXPECT_EQ(write_result(capture(id)), "HTTP 409 invalid_authorization_state");
  EXPECT_EQ(write_result(capture(id, "1.00")), "HTTP 409 invalid_authorization_state");
  EXPECT_EQ(write_result(reverse(id)), "HTTP 409 invalid_authorization_state");
  EXPECT_EQ(write_result(expire(id)), "HTTP 409 invalid_authorization_state");
  EXPECT_EQ(balance(card), "60.00");

  // Linked refunds up to what was captured.
  Reply first = refund(bj::object{{"authorization_id", id}, {"amount", "15.00"}});
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.text("card_id"), card.card_id);
  EXPECT_EQ(first.text("authorization_id"), id);
  EXPECT_EQ(first.text("amount"), "15.00");
  EXPECT_EQ(first.text("currency"), "USD");
  EXPECT_EQ(first.text("available_after"), "75.00");
  EXPECT_EQ(write_result(refund(bj::object{{"authorization_id", id}, {"amount", "25.01"}})), "HTTP 422 amount_exceeds_captured");
  EXPECT_EQ(refund(bj::object{{"authorization_id", id}, {"amount", "25.00"}}).status, 201);
  EXPECT_EQ(write_result(refund(bj::object{{"authorization_id", id}, {"amount", "0.01"}})), "HTTP 422 amount_exceeds_captured");
  EXPECT_EQ(balance(card), "100.00");
  Reply read = get(id);
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.text("state"), "captured");
  EXPECT_EQ(read.text("captured_amount"), "40.00");
  EXPECT_EQ(read.text("refunded_amount"), "40.00");
  EXPECT_EQ(read.text("available_after"), "100.00");

  // A declined or still pending authorization cannot be captured, reversed or refunded.
  Reply declined = authorize(card, "1000.00");
  ASSERT_EQ(outcome(declined), "DECLINED 51 insufficient_funds");
  const std::string declined_id = declined.text("authorization_id");
  EXPECT_EQ(write_result(capture(declined_id)), "HTTP 409 invalid_authorization_state");
  EXPECT_EQ(write_result(reverse(declined_id)), "HTTP 409 invalid_authorization_state");
  EXPECT_EQ(write_result(expire(declined_id)), "HTTP 409 invalid_authorization_state");
  EXPECT_EQ(write_result(refund(bj::object{{"authorization_id", declined_id}, {"amount", "1.00"}})),
            "HTTP 409 invalid_authorization_state");
  const std::string open = approve(card, "10.00");
  EXPECT_EQ(write_result(refund(bj::object{{"authorization_id", open}, {"amount", "1.00"}})),
            "HTTP 409 invalid_authorization_state");
  EXPECT_EQ(write_result(get(declined_id)), "OK 200 declined");
  // An amount may be a JSON number.
  Reply number = sim_post("/sim/v1/authorizations",
                          bj::object{{"card_id", card.card_id}, {"amount", 0.5}, {"currency", "USD"}});
  ASSERT_EQ(outcome(number), "APPROVED 00") << number.body;
  EXPECT_EQ(number.text("amount"), "0.50");
  EXPECT_EQ(write_result(reverse(number.text("authorization_id"))), "OK 200 reversed");
  EXPECT_EQ(balance(card), "90.00");
  EXPECT_EQ(transactions(card),
            (std::multiset<std::string>{"TOP_UP POSTED 100.00", "CHARGE POSTED 40.00", "REFUND POSTED 15.00",
                                        "REFUND POSTED 25.00", "CHARGE REJECT 1000.00", "CHARGE PENDING 10.00",
                                        "CHARGE CANCELED 0.50"}));
}

TEST_P(Simulator, ReverseExpireAndPartialCapture) {
  const Card card = issue("100.00");
  // Partial reversal, then capture of the rest.
  const std::string partly = approve(card, "50.00");
  Reply reversed = reverse(partly, "20.00");
  ASSERT_EQ(write_result(reversed), "OK 200 pending") << reversed.body;
  EXPECT_EQ(reversed.text("held_amount"), "30.00");
  EXPECT_EQ(reversed.text("available_after"), "70.00");
  EXPECT_EQ(write_result(reverse(partly, "30.01")), "HTTP 422 amount_exceeds_hold");
  EXPECT_EQ(write_result(capture(partly, "30.01")), "HTTP 422 amount_exceeds_tolerance");  // tolerance 0
  Reply rest = capture(partly);
  ASSERT_EQ(write_result(rest), "OK 200 captured") << rest.body;
  EXPECT_EQ(rest.text("captured_amount"), "30.00");
  EXPECT_EQ(balance(card), "70.00");

  // Whole reversal.
  const std::string whole = approve(card, "10.00");
  EXPECT_EQ(balance(card), "60.00");
  Reply back = reverse(whole);
  ASSERT_EQ(write_result(back), "OK 200 reversed") << back.body;
  EXPECT_EQ(back.text("held_amount"), "0.00");
  EXPECT_EQ(balance(card), "70.00");
  EXPECT_EQ(write_result(capture(whole)), "HTTP 409 invalid_authorization_state");
  EXPECT_EQ(write_result(reverse(whole)), "HTTP 409 invalid_authorization_state");

  // Expiry releases the hold like a reversal.
  const std::string lapsed = approve(card, "10.00");
  EXPECT_EQ(write_result(expire(lapsed)), "OK 200 expired");
  EXPECT_EQ(balance(card), "70.00");
  EXPECT_EQ(write_result(capture(lapsed)), "HTTP 409 invalid_authorization_state");
  EXPECT_EQ(write_result(expire(lapsed)), "HTTP 409 invalid_authorization_state");

  // Partial capture: the rest of the hold is released.
  const std::string partial = approve(card, "20.00");
  Reply captured = capture(partial, "5.00");
  ASSERT_EQ(write_result(captured), "OK 200 captured") << captured.body;
  EXPECT_EQ(captured.text("captured_amount"), "5.00");
  EXPECT_EQ(captured.text("held_amount"), "0.00");
  EXPECT_EQ(captured.text("available_after"), "65.00");
  EXPECT_EQ(write_result(capture(partial, "15.00")), "HTTP 409 invalid_authorization_state");
  EXPECT_EQ(balance(card), "65.00");

  // Bad amounts are refused and change nothing.
  const std::string open = approve(card, "10.00");
  EXPECT_EQ(write_result(capture(open, "0")), "HTTP 422 amount_not_positive");
  EXPECT_EQ(write_result(reverse(open, "-1.00")), "HTTP 422 amount_not_positive");
  EXPECT_EQ(write_result(capture("no-such-authorization")), "HTTP 404 authorization_not_found");
  EXPECT_EQ(get(open).text("held_amount"), "10.00");
  EXPECT_EQ(write_result(reverse(open)), "OK 200 reversed");
  EXPECT_EQ(balance(card), "65.00");
  EXPECT_EQ(transactions(card),
            (std::multiset<std::string>{"TOP_UP POSTED 100.00", "CHARGE POSTED 30.00", "CHARGE CANCELED 10.00",
                                        "CHARGE CANCELED 10.00", "CHARGE POSTED 5.00", "CHARGE CANCELED 10.00"}));
}

TEST_P(Simulator, CaptureToleranceAndForeignCurrency) {
  const Card card = issue("500.00", product_with({{"capture_tolerance_rate", "0.1"}, {"fx_fee_rate", "0.02"}}));

  // Above the hold by at most 10 % of the authorized amount.
  const std::string over = approve(card, "100.00");
  EXPECT_EQ(write_result(capture(over, "110.01")), "HTTP 422 amount_exceeds_tolerance");
  EXPECT_EQ(get(over).text("state"), "pending");
  EXPECT_EQ(balance(card), "400.00");
  Reply captured = capture(over, "110.00");
  ASSERT_EQ(write_result(captured), "OK 200 captured") << captured.body;
  EXPECT_EQ(captured.text("captured_amount"), "110.00");
  EXPECT_EQ(balance(card), "390.00");

  // 100.00 EUR at 1.1 is 110.00 USD, plus the product's 2 % FX fee.
  set_fx_rate("EUR", "USD", "1.1");
  Reply eur = authorize(card, "100.00", {{"currency", "EUR"}});
  ASSERT_EQ(outcome(eur), "APPROVED 00") << eur.body;
  const std::string id = eur.text("authorization_id");
  EXPECT_EQ(eur.text("amount"), "100.00");
  EXPECT_EQ(eur.text("currency"), "EUR");
  EXPECT_EQ(eur.text("card_currency"), "USD");
  EXPECT_EQ(eur.text("fx_rate"), "1.1");
  EXPECT_EQ(eur.text("fx_fee"), "2.20");
  EXPECT_EQ(eur.text("card_amount"), "112.20");
  EXPECT_EQ(eur.text("approved_amount"), "112.20");
  EXPECT_EQ(eur.text("held_amount"), "112.20");
  EXPECT_EQ(eur.text("available_after"), "277.80");
  // A new rate applies to new authorizations only.
  set_fx_rate("EUR", "USD", "1.5");
  // Partial reversal in EUR at the authorization's rate, fee share included; then the rest.
  Reply reversed = reverse(id, "50.00");
  ASSERT_EQ(write_result(reversed), "OK 200 pending") << reversed.body;
  EXPECT_EQ(reversed.text("held_amount"), "56.10");
  Reply rest = capture(id);
  ASSERT_EQ(write_result(rest), "OK 200 captured") << rest.body;
  EXPECT_EQ(rest.text("captured_amount"), "56.10");
  EXPECT_EQ(balance(card), "333.90");
  // The fee is not refunded: 50.00 EUR gives 55.00 USD back, and that is all there is.
  EXPECT_EQ(write_result(refund(bj::object{{"authorization_id", id}, {"amount", "50.01"}})), "HTTP 422 amount_exceeds_captured");
  Reply refunded = refund(bj::object{{"authorization_id", id}, {"amount", "50.00"}});
  ASSERT_EQ(refunded.status, 201) << refunded.body;
  EXPECT_EQ(refunded.text("amount"), "55.00");
  EXPECT_EQ(refunded.text("currency"), "USD");
  EXPECT_EQ(refunded.text("available_after"), "388.90");

  // A currency without minor units: 1000 JPY at 0.0067 is 6.70 USD, fee 0.134 -> 0.13.
  set_fx_rate("JPY", "USD", "0.0067");
  Reply jpy = authorize(card, "1000", {{"currency", "JPY"}});
  ASSERT_EQ(outcome(jpy), "APPROVED 00") << jpy.body;
  EXPECT_EQ(jpy.text("amount"), "1000");
  EXPECT_EQ(jpy.text("fx_fee"), "0.13");
  EXPECT_EQ(jpy.text("card_amount"), "6.83");
  EXPECT_EQ(write_result(reverse(jpy.text("authorization_id"))), "OK 200 reversed");

  // The tolerance applies to the card amount, fee included: 10.00 EUR is 11.22 USD held,
  // so at most 12.34; 11.00 EUR is exactly that, 11.01 EUR is 12.35.
  set_fx_rate("EUR", "USD", "1.1");
  const std::string small = approve(card, "10.00", {{"currency", "EUR"}});
  EXPECT_EQ(write_result(capture(small, "11.01")), "HTTP 422 amount_exceeds_tolerance");
  Reply above = capture(small, "11.00");
  ASSERT_EQ(write_result(above), "OK 200 captured") << above.body;
  EXPECT_EQ(above.text("captured_amount"), "12.34");
  EXPECT_EQ(balance(card), "376.56");
  EXPECT_EQ(transactions(card),
            (std::multiset<std::string>{"TOP_UP POSTED 500.00", "CHARGE POSTED 110.00", "CHARGE POSTED 55.00",
                                        "FEE POSTED 1.10", "REFUND POSTED 55.00", "CHARGE CANCELED 6.70",
                                        "CHARGE POSTED 12.10", "FEE POSTED 0.24"}));
}

// An amount in a foreign currency worth less than one minor unit of the card's currency
// must be refused or declined, not crash the server, and hold nothing.
TEST_P(Simulator, ForeignAuthorizationBelowOneCardMinorUnit) {
  const Card card = issue("10.00");
  set_fx_rate("IDR", "USD", "0.000063");
  Reply tiny = authorize(card, "0.01", {{"currency", "IDR"}});  // 0.00000063 USD
  EXPECT_TRUE(tiny.status == 422 || (tiny.status == 201 && tiny.text("status") == "DECLINED"))
      << "an authorization worth 0.00 USD: " << tiny.status << " " << tiny.body;
  ASSERT_EQ(call("GET", "/healthz").status, 200) << "the server died:\n" << log_tail();
  EXPECT_EQ(balance(card), "10.00");
}

TEST_P(Simulator, ForeignCaptureAndReversalBelowOneCardMinorUnit) {
  const Card card = issue("20.00");
  set_fx_rate("IDR", "USD", "0.000063");
  // A capture worth 0.00 USD is no capture: refused like a capture of "0", the hold kept.
  const std::string captured = approve(card, "100000.00", {{"currency", "IDR"}});  // 6.30 USD
  Reply tiny_capture = capture(captured, "0.01");
  EXPECT_EQ(tiny_capture.status, 422) << "a capture worth 0.00 USD: " << tiny_capture.body;
  EXPECT_EQ(get(captured).text("held_amount"), "6.30");
  // A reversal worth 0.00 USD.
  const std::string reversed = approve(card, "100000.00", {{"currency", "IDR"}});
  Reply tiny_reversal = reverse(reversed, "0.01");
  EXPECT_EQ(tiny_reversal.status, 422) << "a reversal worth 0.00 USD: " << tiny_reversal.body;
  ASSERT_EQ(call("GET", "/healthz").status, 200) << "the server died:\n" << log_tail();
  EXPECT_EQ(get(reversed).text("held_amount"), "6.30");
  EXPECT_EQ(balance(card), "7.40");
}

// ---- who may do what ----

TEST_P(Simulator, MerchantsSeeOnlyTheirOwnAndTheAdminSeesAll) {
  const Card mine = issue("100.00");
  auto [other_id, other_key] = create_merchant("Other Program");
  deposit(other_id, "1000.00");
  MusePayClient other(*this, other_id, other_key);
  const Card theirs = issue("100.00", {}, &other);
  const Headers stranger{{"x-api-key", other_key}};

  const std::string id = approve(mine, "10.00");
  EXPECT_EQ(write_result(get(id, stranger)), "HTTP 404 authorization_not_found");
  EXPECT_EQ(write_result(capture(id, std::nullopt, stranger)), "HTTP 404 authorization_not_found");
  EXPECT_EQ(write_result(reverse(id, std::nullopt, stranger)), "HTTP 404 authorization_not_found");
  EXPECT_EQ(write_result(expire(id, stranger)), "HTTP 404 authorization_not_found");
  // Another merchant's card is unknown to a merchant, by card_id and by PAN.
  EXPECT_EQ(outcome(authorize(mine, "1.00", {}, stranger)), "DECLINED 14 card_unknown");
  const CardSecrets s = secrets(mine);
  EXPECT_EQ(outcome(sim_post("/sim/v1/authorizations",
                             bj::object{{"pan", s.pan}, {"expiry_month", s.expiry_month}, {"expiry_year", s.expiry_year},
                                        {"cvv", s.cvv}, {"amount", "1.00"}, {"currency", "USD"}},
                             stranger)),
            "DECLINED 14 card_unknown");
  EXPECT_EQ(write_result(refund(bj::object{{"card_id", mine.card_id}, {"amount", "1.00"}}, stranger)),
            "HTTP 404 card_not_found");
  const std::string settled = approve(mine, "2.00");
  EXPECT_EQ(write_result(capture(settled)), "OK 200 captured");
  EXPECT_EQ(write_result(refund(bj::object{{"authorization_id", settled}, {"amount", "1.00"}}, stranger)),
            "HTTP 404 authorization_not_found");
  EXPECT_EQ(balance(mine), "88.00");

  // Without credentials, nothing.
  EXPECT_EQ(call("POST", "/sim/v1/authorizations", bj::serialize(bj::object{{"card_id", mine.card_id},
                                                                            {"amount", "1.00"},
                                                                            {"currency", "USD"}}),
                 {{"Idempotency-Key", "anonymous"}})
                .status,
            401);
  EXPECT_EQ(authorize(mine, "1.00", {}, Headers{{"x-api-key", "not-a-key"}}).status, 401);
  EXPECT_EQ(call("GET", "/sim/v1/authorizations/" + id).status, 401);

  // The admin token works on any card and any authorization.
  EXPECT_EQ(outcome(authorize(theirs, "20.00", {}, admin_auth())), "APPROVED 00");
  Reply admin_read = get(id, admin_auth());
  EXPECT_EQ(write_result(admin_read), "OK 200 pending");
  EXPECT_EQ(write_result(capture(id, std::nullopt, admin_auth())), "OK 200 captured");
  const std::string admins = approve(mine, "5.00");
  EXPECT_EQ(write_result(reverse(admins, std::nullopt, admin_auth())), "OK 200 reversed");
  Reply by_admin = authorize(mine, "3.00", {}, admin_auth());
  ASSERT_EQ(outcome(by_admin), "APPROVED 00");
  // ... and the card's merchant sees what the admin authorized on its card.
  EXPECT_EQ(write_result(get(by_admin.text("authorization_id"))), "OK 200 pending");
  EXPECT_EQ(write_result(get(by_admin.text("authorization_id"), stranger)), "HTTP 404 authorization_not_found");

  // Unlinked refunds by card_id: any amount, the card's currency only.
  Reply unlinked = refund(bj::object{{"card_id", mine.card_id}, {"amount", "7.50"}});
  ASSERT_EQ(unlinked.status, 201) << unlinked.body;
  EXPECT_TRUE(unlinked["authorization_id"].is_null());
  EXPECT_EQ(unlinked.text("amount"), "7.50");
  EXPECT_EQ(unlinked.text("available_after"), "92.50");
  EXPECT_EQ(write_result(refund(bj::object{{"card_id", mine.card_id}, {"amount", "1.00"}, {"currency", "EUR"}})),
            "HTTP 422 currency_mismatch");
  EXPECT_EQ(refund(bj::object{{"card_id", theirs.card_id}, {"amount", "2.00"}}, admin_auth()).status, 201);
  EXPECT_EQ(write_result(refund(bj::object{{"card_id", "no-such-card"}, {"amount", "2.00"}}, admin_auth())),
            "HTTP 404 card_not_found");
  EXPECT_EQ(write_result(refund(bj::object{{"amount", "2.00"}})), "HTTP 422 missing_field");
  EXPECT_EQ(balance(mine), "92.50");
  EXPECT_EQ(balance(theirs), "82.00");
  EXPECT_EQ(transaction_items(mine, "REFUND", "POSTED").size(), 1u);
  EXPECT_EQ(transaction_items(theirs, "REFUND", "POSTED").size(), 1u);

  // Idempotency keys are per merchant: the same key is two requests for two merchants.
  Reply a = sim_post("/sim/v1/authorizations",
                     bj::object{{"card_id", mine.card_id}, {"amount", "1.00"}, {"currency", "USD"}}, std::nullopt,
                     "shared-key");
  Reply b = sim_post("/sim/v1/authorizations",
                     bj::object{{"card_id", theirs.card_id}, {"amount", "1.00"}, {"currency", "USD"}}, stranger,
                     "shared-key");
  EXPECT_EQ(outcome(a), "APPROVED 00");
  EXPECT_EQ(outcome(b), "APPROVED 00");
  EXPECT_NE(a.body, b.body);
}

TEST_P(Simulator, IdempotencyKeyIsRequiredAndReplaysTheSameAnswer) {
  const Card card = issue("100.00");
  const bj::object body{{"card_id", card.card_id}, {"amount", "30.00"}, {"currency", "USD"}};
  EXPECT_EQ(write_result(sim_post("/sim/v1/authorizations", body, std::nullopt, "")), "HTTP 422 missing_idempotency_key");
  EXPECT_EQ(write_result(sim_post("/sim/v1/authorizations", body, std::nullopt, std::string(256, 'k'))),
            "HTTP 422 missing_idempotency_key");
  EXPECT_EQ(balance(card), "100.00");

  Reply first = sim_post("/sim/v1/authorizations", body, std::nullopt, "auth-1");
  ASSERT_EQ(outcome(first), "APPROVED 00") << first.body;
  Reply replay = sim_post("/sim/v1/authorizations", body, std::nullopt, "auth-1");
  EXPECT_EQ(replay.status, 201);
  EXPECT_EQ(replay.body, first.body);
  EXPECT_EQ(balance(card), "70.00") << "one hold, not two";
  bj::object other = body;
  other["amount"] = "31.00";
  EXPECT_EQ(write_result(sim_post("/sim/v1/authorizations", other, std::nullopt, "auth-1")), "HTTP 409 idempotency_key_reused");
  EXPECT_EQ(balance(card), "70.00");
  EXPECT_EQ(transaction_items(card, "CHARGE", "PENDING").size(), 1u);

  // A decline replays too, and is counted once.
  const std::int64_t declined_before = authorizations_metric("declined");
  bj::object too_much = body;
  too_much["amount"] = "500.00";
  Reply declined = sim_post("/sim/v1/authorizations", too_much, std::nullopt, "auth-2");
  ASSERT_EQ(outcome(declined), "DECLINED 51 insufficient_funds");
  EXPECT_EQ(sim_post("/sim/v1/authorizations", too_much, std::nullopt, "auth-2").body, declined.body);
  EXPECT_EQ(authorizations_metric("declined"), declined_before + 1);

  // Captures and refunds need a key and replay the same way.
  const std::string id = first.text("authorization_id");
  const std::string capture_path = "/sim/v1/authorizations/" + id + "/capture";
  EXPECT_EQ(write_result(sim_post(capture_path, bj::object{{"amount", "10.00"}}, std::nullopt, "")),
            "HTTP 422 missing_idempotency_key");
  EXPECT_EQ(get(id).text("state"), "pending");
  Reply captured = sim_post(capture_path, bj::object{{"amount", "10.00"}}, std::nullopt, "capture-1");
  ASSERT_EQ(write_result(captured), "OK 200 captured") << captured.body;
  EXPECT_EQ(sim_post(capture_path, bj::object{{"amount", "10.00"}}, std::nullopt, "capture-1").body, captured.body);
  EXPECT_EQ(balance(card), "90.00");
  const bj::object give_back{{"authorization_id", id}, {"amount", "4.00"}};
  EXPECT_EQ(write_result(sim_post("/sim/v1/refunds", give_back, std::nullopt, "")), "HTTP 422 missing_idempotency_key");
  Reply refunded = sim_post("/sim/v1/refunds", give_back, std::nullopt, "refund-1");
  ASSERT_EQ(refunded.status, 201) << refunded.body;
  EXPECT_EQ(sim_post("/sim/v1/refunds", give_back, std::nullopt, "refund-1").body, refunded.body);
  EXPECT_EQ(balance(card), "94.00");
  EXPECT_EQ(transaction_items(card, "REFUND", "POSTED").size(), 1u);
}

// The authorization keeps its key and a replay rebuilds the first answer from it
// (storage::keys_kept_on_authorizations): once the authorization has moved on and the
// writer's batches have forgotten the key, the replay still gives the first answer's bytes.
TEST_P(Simulator, ReplayAfterTheAuthorizationMovedOnGivesTheFirstAnswer) {
  const Card card = issue("500.00", product_with({{"fx_fee_rate", "0.02"}}));
  set_fx_rate("EUR", "USD", "1.1");
  const bj::object eur_body{{"card_id", card.card_id}, {"amount", "100.00"}, {"currency", "EUR"},
                            {"merchant", bj::object{{"name", "Caf\u00e9 \"Q\""}, {"mcc", "5814"}, {"country", "FR"}}},
                            {"card_present", true}};
  Reply eur = sim_post("/sim/v1/authorizations", eur_body, std::nullopt, "moved-1");
  ASSERT_EQ(outcome(eur), "APPROVED 00") << eur.body;
  const std::string id = eur.text("authorization_id");
  const bj::object big_body{{"card_id", card.card_id}, {"amount", "5000.00"}, {"currency", "USD"}};
  Reply big = sim_post("/sim/v1/authorizations", big_body, std::nullopt, "moved-2");
  ASSERT_EQ(outcome(big), "DECLINED 51 insufficient_funds") << big.body;
  const bj::object unknown_body{{"card_id", "no-such-card"}, {"amount", "1.00"}, {"currency", "USD"}};
  Reply unknown = sim_post("/sim/v1/authorizations", unknown_body, std::nullopt, "moved-3");
  ASSERT_EQ(outcome(unknown), "DECLINED 14 card_unknown") << unknown.body;
  Reply by_admin = sim_post("/sim/v1/authorizations", big_body, admin_auth(), "moved-2");  // the admin's own key space
  ASSERT_EQ(outcome(by_admin), "DECLINED 51 insufficient_funds") << by_admin.body;

  // The authorization moves on: part reversed, the rest captured, part refunded; the rate
  // and the balance change; other authorizations go through many batches.
  set_fx_rate("EUR", "USD", "1.5");
  ASSERT_EQ(write_result(reverse(id, "50.00")), "OK 200 pending");
  ASSERT_EQ(write_result(capture(id)), "OK 200 captured");
  ASSERT_EQ(refund(bj::object{{"authorization_id", id}, {"amount", "10.00"}}).status, 201);
  for (int i = 0; i < 5; ++i) approve(card, "1.00");
  const std::string balance_before = balance(card);
  ASSERT_EQ(get(id).text("state"), "captured");

  for (const auto& [body, key, first] : {std::tuple{eur_body, "moved-1", eur}, std::tuple{big_body, "moved-2", big},
                                         std::tuple{unknown_body, "moved-3", unknown}}) {
    Reply replay = sim_post("/sim/v1/authorizations", body, std::nullopt, key);
    EXPECT_EQ(replay.status, 201) << key;
    EXPECT_EQ(replay.body, first.body) << key;
  }
  EXPECT_EQ(sim_post("/sim/v1/authorizations", big_body, admin_auth(), "moved-2").body, by_admin.body);
  EXPECT_EQ(write_result(sim_post("/sim/v1/authorizations", big_body, std::nullopt, "moved-1")),
            "HTTP 409 idempotency_key_reused");
  EXPECT_EQ(balance(card), balance_before) << "a replay moves nothing";
  EXPECT_EQ(get(id).text("state"), "captured");
}

// ---- what the merchant sees ----

TEST_P(Simulator, TransactionsCallbacksAndMetricsFollowEachStep) {
  const Card card = issue("100.00");
  const std::int64_t bills_before = events_of_type(merchant_id_, "CARD_BILL_TRANSACTION");
  EXPECT_EQ(bills_before, 0);
  const std::int64_t approved_before = authorizations_metric("approved");
  const std::int64_t declined_before = authorizations_metric("declined");

  const bj::object cafe{{"name", "Cafe"}, {"mcc", "5814"}, {"country", "FR"}};
  const std::string bought = approve(card, "20.00", {{"merchant", cafe}});  // 1 event
  EXPECT_EQ(write_result(capture(bought)), "OK 200 captured");                   // 1
  const std::string dropped = approve(card, "5.00");                        // 1
  EXPECT_EQ(write_result(reverse(dropped, "2.00")), "OK 200 pending");           // 1
  EXPECT_EQ(write_result(reverse(dropped)), "OK 200 reversed");                  // 1
  EXPECT_EQ(outcome(authorize(card, "500.00", {{"merchant", cafe}})), "DECLINED 51 insufficient_funds");  // 1
  EXPECT_EQ(outcome(authorize(Card{"no-such-card", "", nullptr}, "1.00")), "DECLINED 14 card_unknown");  // none
  EXPECT_EQ(refund(bj::object{{"authorization_id", bought}, {"amount", "3.00"}}).status, 201);            // 1

  EXPECT_EQ(transactions(card),
            (std::multiset<std::string>{"TOP_UP POSTED 100.00", "CHARGE POSTED 20.00", "CHARGE CANCELED 5.00",
                                        "CHARGE REJECT 500.00", "REFUND POSTED 3.00"}));
  auto rejected = transaction_items(card, "CHARGE", "REJECT");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].at("merchant").at("name").as_string(), "Cafe");
  EXPECT_EQ(rejected[0].at("merchant").at("mcc").as_string(), "5814");
  EXPECT_EQ(rejected[0].at("merchant").at("country").as_string(), "FR");
  EXPECT_EQ(rejected[0].at("authorization").at("amount").as_string(), "500.00");
  auto refunds = transaction_items(card, "REFUND", "POSTED");
  ASSERT_EQ(refunds.size(), 1u);
  EXPECT_EQ(refunds[0].at("txAmount").as_string(), "3.00");
  EXPECT_EQ(transaction_items(card, "CHARGE", "CANCELED").size(), 1u);

  EXPECT_EQ(events_of_type(merchant_id_, "CARD_BILL_TRANSACTION"), bills_before + 7);
  EXPECT_EQ(authorizations_metric("approved"), approved_before + 2);
  EXPECT_EQ(authorizations_metric("declined"), declined_before + 2);
  EXPECT_EQ(balance(card), "83.00");
}

// ---- concurrency ----

TEST_P(Simulator, FiftyConcurrentAuthorizationsOnACardCoveringTenApproveExactlyTen) {
  const Card card = issue("70.00");
  const std::int64_t approved_before = authorizations_metric("approved");
  const std::int64_t declined_before = authorizations_metric("declined");
  constexpr int requests = 50;
  std::vector<int> statuses(requests, 0);
  std::vector<std::string> bodies(requests);
  std::latch start(requests + 1);
  std::vector<std::thread> threads;
  const std::string body =
      bj::serialize(bj::object{{"card_id", card.card_id}, {"amount", "7.00"}, {"currency", "USD"}});
  for (int i = 0; i < requests; ++i) {
    threads.emplace_back([&, i] {
      http::Client client = server_->client();
      const Headers headers{{"x-api-key", api_key_}, {"Idempotency-Key", "race-" + std::to_string(i)}};
      start.arrive_and_wait();
      auto response = client.request("POST", "/sim/v1/authorizations", headers, body);
      const auto slot = static_cast<std::size_t>(i);
      statuses[slot] = response.ok() ? response->status : -1;
      if (response.ok()) bodies[slot] = response->body;
    });
  }
  start.arrive_and_wait();
  for (auto& thread : threads) thread.join();

  std::map<std::string, int> outcomes;
  for (int i = 0; i < requests; ++i) {
    const auto slot = static_cast<std::size_t>(i);
    ASSERT_EQ(statuses[slot], 201) << bodies[slot];
    Reply reply;
    reply.status = statuses[slot];
    reply.json = bj::parse(bodies[slot]);
    ++outcomes[outcome(reply)];
    if (reply.text("status") == "APPROVED") {
      EXPECT_NE(reply.text("available_after")[0], '-') << bodies[slot];
    }
  }
  EXPECT_EQ(outcomes["APPROVED 00"], 10);
  EXPECT_EQ(outcomes["DECLINED 51 insufficient_funds"], 40);
  EXPECT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(balance(card), "0.00");
  EXPECT_EQ(transaction_items(card, "CHARGE", "PENDING").size(), 10u);
  EXPECT_EQ(authorizations_metric("approved"), approved_before + 10);
  EXPECT_EQ(authorizations_metric("declined"), declined_before + 40);

  // Concurrent duplicates (one Idempotency-Key) hold once and all answer the same.
  top_up(card, "7.00");
  constexpr int duplicates = 20;
  std::vector<std::string> answers(duplicates);
  std::latch again(duplicates + 1);
  std::vector<std::thread> twins;
  for (int i = 0; i < duplicates; ++i) {
    twins.emplace_back([&, i] {
      http::Client client = server_->client();
      const Headers headers{{"x-api-key", api_key_}, {"Idempotency-Key", "race-duplicate"}};
      again.arrive_and_wait();
      auto response = client.request("POST", "/sim/v1/authorizations", headers, body);
      answers[static_cast<std::size_t>(i)] =
          response.ok() ? std::to_string(response->status) + " " + response->body : "failed";
    });
  }
  again.arrive_and_wait();
  for (auto& thread : twins) thread.join();
  EXPECT_EQ(std::count(answers.begin(), answers.end(), answers[0]), duplicates);
  EXPECT_TRUE(answers[0].starts_with("201 ")) << answers[0];
  EXPECT_NE(answers[0].find("\"APPROVED\""), std::string::npos) << answers[0];
  EXPECT_EQ(balance(card), "0.00");
  EXPECT_EQ(transaction_items(card, "CHARGE", "PENDING").size(), 11u);
}


ISSUERD_E2E_SUITE(Simulator);

}  // namespace
}  // namespace issuerd::e2e
