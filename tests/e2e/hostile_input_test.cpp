// Hostile input over real HTTP on both databases, table-driven over every route of
// docs/api.md and src/api/**/register_*: malformed bodies, wrong types, huge numbers, -0,
// unicode and SQL metacharacters in ids, a 10 MB body, thousands of headers, garbage
// instead of HTTP, slow and stalled clients. Each gets a 4xx or a closed connection, never
// a 5xx; the server stays up (the fixture's TearDown asks GET /healthz and checks the
// ledger); and nothing changes: every row of the ledger and of the merchants', products',
// holders', cards' and quotas' tables is the same afterwards.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <thread>

#include "musepay_client.h"
#include "storage/store.h"

namespace issuerd::e2e {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// ---- raw sockets, for what a well-behaved client cannot send ----

class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port, int receive_timeout_ms = 5000) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    timeval timeout{receive_timeout_ms / 1000, (receive_timeout_ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  // False once the server has closed (or reset) the connection.
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  // Reads until the server closes, the receive timeout passes, or a full response with a
  // Content-Length body is in. `closed` tells whether the server closed or reset.
  std::string receive(bool* closed = nullptr) {
    std::string response;
    char buffer[16384];
    bool ended = false;
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        ended = true;
        break;
      }
      if (n < 0) break;  // timed out
      response.append(buffer, static_cast<std::size_t>(n));
      if (complete(response)) break;
    }
    if (closed != nullptr) *closed = ended;
    return response;
  }

 private:
  static bool complete(const std::string& response) {
    const auto end = response.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    std::string head = response.substr(0, end);
    for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = head.find("content-length:");
    if (at == std::string::npos) return true;
    const std::size_t length = std::strtoul(head.c_str() + at + 15, nullptr, 10);
    return response.size() >= end + 4 + length;
  }
  int fd_ = -1;
};

int status_of(const std::string& raw_response) {
  if (raw_response.size() < 12 || !raw_response.starts_with("HTTP/1.")) return 0;
  return std::atoi(raw_response.c_str() + 9);
}

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.') {
      out.push_back(c);
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 0xf];
    }
  }
  return out;
}

// ---- what is sent ----

enum class Auth { admin, merchant, sim };

// How a field is read, which decides what hostile values it gets and what may come back.
enum class Kind {
  id,         // names an existing object: SQL and unicode strings must find nothing
  text,       // free text or an enum: wrong types and numbers are refused
  amount,     // a decimal amount (a JSON number is one too)
  limit,      // a decimal amount where 0 is allowed (so -0 is too)
  rate,       // a rate: like limit, and 9 decimals are fine
  integer,    // an integer (page, page_size, expiry_years, ...)
  filter,     // an optional string filter of a list: any string is a (maybe empty) filter
  level,      // card_level: a string or a non-negative integer
  object,     // a JSON object
  array,      // a JSON array
  flag,       // a boolean
};

struct Field {
  std::string name;
  Kind kind;
};

struct Route {
  std::string method;
  std::string path;    // with real ids of the fixture's objects
  std::string path_id;  // the id in the path ("" if none): replaced by hostile ids too
  Auth auth;
  bj::object body;     // valid, for the fixture's objects; never sent as is
  std::vector<Field> fields;
  bool reads_body = true;
  bool read_only = false;  // a list: a filter may match nothing and answer 200
};

// A hostile value as raw JSON text (so that 1e400 and 99999999999999999999999 go out as
// written) and whether the route may accept it (a filter that matches nothing).
struct Hostile {
  std::string json;
  std::string label;
};

const std::vector<std::string>& hostile_strings() {
  static const std::vector<std::string> strings = {
      "' OR '1'='1",
      "1; DROP TABLE cards; --",
      "' UNION SELECT pan_sealed FROM cards --",
      "%' AND 1=1 --",
      "\xF0\x9F\x98\x80\xF0\x9F\x92\xB3",  // emoji
      "\xE2\x80\xAE" "evil",                  // right-to-left override
      "../../etc/passwd",
      "",
      std::string(5000, 'A'),
  };
  return strings;
}

std::vector<Hostile> string_values() {
  std::vector<Hostile> values;
  for (const auto& s : hostile_strings()) values.push_back({bj::serialize(bj::value(s)), "string " + bj::serialize(bj::value(s.substr(0, 40)))});
  return values;
}

const std::vector<Hostile> wrong_types = {
    {"123", "number"}, {"true", "bool"}, {"[]", "array"}, {"{\"$gt\":\"\"}", "object"}, {"[\"1.00\"]", "array of string"}};
// A JSON number is a valid amount, so amounts get the other wrong types only.
const std::vector<Hostile> wrong_types_for_amounts = {
    {"true", "bool"}, {"[]", "array"}, {"{\"$gt\":\"\"}", "object"}, {"[\"1.00\"]", "array of string"}};
const std::vector<Hostile> huge_numbers = {
    {"1e400", "1e400"}, {"-1e400", "-1e400"}, {"99999999999999999999999", "99999999999999999999999"},
    {"18446744073709551616", "2^64"}, {"9223372036854775808", "2^63"}};
const std::vector<Hostile> bad_amounts = {
    {"-0", "number -0"}, {"\"-0\"", "\"-0\""}, {"\"-0.00\"", "\"-0.00\""}, {"\"1e3\"", "\"1e3\""},
    {"\"NaN\"", "NaN"}, {"\"Infinity\"", "Infinity"}, {"\"0x10\"", "hex"}, {"\"1,00\"", "comma"},
    {"\" 1.00\"", "leading space"}, {"\"\xD9\xA1.00\"", "arabic digit"}, {"\"1.001\"", "too precise"},
    {"\"-1.00\"", "negative"}, {"\"92233720368547758.08\"", "int64 + 1 cent"}, {"1e-400", "1e-400"},
    {"\"\"", "empty"}, {"\"1.00; DROP TABLE accounts\"", "sql"}};

std::vector<Hostile> values_for(Kind kind) {
  std::vector<Hostile> values;
  auto add = [&values](const std::vector<Hostile>& more) { values.insert(values.end(), more.begin(), more.end()); };
  switch (kind) {
    case Kind::id:
      add(string_values());
      add(wrong_types);
      add(huge_numbers);
      break;
    case Kind::text:
    case Kind::filter:
      add(wrong_types);
      add(huge_numbers);
      break;
    case Kind::amount:
      add(wrong_types_for_amounts);
      add(huge_numbers);
      add(bad_amounts);
      break;
    case Kind::limit:
    case Kind::rate:
      add(wrong_types_for_amounts);
      add(huge_numbers);
      // 0 is allowed here, so -0 and 1e-400 (which read as 0) are too; a rate has 9 decimals.
      for (const Hostile& h : bad_amounts) {
        if (h.label.find("-0") != std::string::npos || h.label == "1e-400") continue;
        if (kind == Kind::rate && h.label == "too precise") continue;
        values.push_back(h);
      }
      break;
    case Kind::integer:
      add({{"true", "bool"}, {"[]", "array"}, {"{}", "object"}, {"\"abc\"", "letters"}, {"\"1e3\"", "\"1e3\""},
           {"1.5", "fraction"}});
      add(huge_numbers);
      break;
    case Kind::level:
      add({{"true", "bool"}, {"[]", "array"}, {"{}", "object"}, {"-1", "negative"}, {"\"\"", "empty"}});
      add(huge_numbers);
      break;
    case Kind::object:
      add({{"\"x\"", "string"}, {"123", "number"}, {"[]", "array"}, {"true", "bool"}, {"1e400", "1e400"}});
      break;
    case Kind::array:
      add({{"\"x\"", "string"}, {"123", "number"}, {"{}", "object"}, {"true", "bool"}, {"[123]", "[123]"},
           {"[\"' OR '1'='1\"]", "[sql]"}});
      break;
    case Kind::flag:
      add({{"\"true\"", "string"}, {"1", "number"}, {"[]", "array"}, {"{}", "object"}, {"1e400", "1e400"}});
      break;
  }
  return values;
}

// Bodies that are not a JSON object at all (a form body among them: issuerd has no form
// parser, so it must be refused as JSON).
std::vector<std::pair<std::string, std::string>> malformed_bodies() {
  return {
      {"", "empty"},
      {"{", "open brace"},
      {"{\"a\":", "truncated"},
      {"{\"a\":1,}", "trailing comma"},
      {"{'a':1}", "single quotes"},
      {"{\"a\":1}garbage", "trailing garbage"},
      {"[]", "array"},
      {"null", "null"},
      {"\"text\"", "string"},
      {"123", "number"},
      {"\xFF\xFE\xFD", "binary"},
      {"{\"a\":\"\xC3\x28\"}", "invalid UTF-8"},
      {std::string("{\"a\":\0}", 7), "NUL"},
      {std::string(100000, '[') + std::string(100000, ']'), "100000 nested arrays"},
      {std::string(50, '{') , "unclosed objects"},
      {"amount=1.00&currency=USD&card_id=x", "form body"},
  };
}

// ---- the fixture ----

class HostileInput : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    std::tie(merchant_id_, api_key_) = create_merchant("Hostile target");
    deposit(merchant_id_, "20.00");
    product_ = create_product();
    musepay_ = std::make_unique<MusePayClient>(*this, merchant_id_, api_key_);
    user_id_ = musepay_->create_holder("hostile-holder");
    card_id_ = musepay_->issue_card(user_id_, product_);
    ASSERT_FALSE(card_id_.empty());
    ASSERT_EQ(musepay_->call("/v1/cardaccount/topup", bj::object{{"request_id", "setup-topup"}, {"card_id", card_id_},
                                                                 {"user_id", user_id_}, {"amount", "20.00"},
                                                                 {"currency", "USD"}}).status,
              200);
    Reply quota = musepay_->call("/v1/card/share-quota/quota/create",
                                 bj::object{{"request_id", "setup-quota"}, {"card_product_id", product_},
                                            {"card_level", "1"}, {"share_quota_name", "Hostile"}});
    ASSERT_EQ(quota.status, 200) << quota.body;
    quota_id_ = std::string(quota["data"].at("share_quota_id").as_string());
    Reply authorized = call("POST", "/sim/v1/authorizations",
                            bj::serialize(bj::object{{"card_id", card_id_}, {"amount", "5.00"}, {"currency", "USD"}}),
                            {{"x-api-key", api_key_}, {"Idempotency-Key", "setup-auth"}});
    ASSERT_EQ(authorized.status, 201) << authorized.body;
    ASSERT_EQ(authorized.text("status"), "APPROVED");
    authorization_id_ = authorized.text("authorization_id");
    // The main account is now empty and the card has 15.00 available.
  }

  std::vector<Route> routes() const {
    const std::string m = merchant_id_;
    const std::string a = authorization_id_;
    const bj::object ids{{"card_id", card_id_}, {"user_id", user_id_}};
    auto with = [&ids](bj::object more) {
      for (const auto& member : ids) more.emplace(member.key(), member.value());
      return more;
    };
    const std::vector<Field> id_fields{{"card_id", Kind::id}, {"user_id", Kind::id}};
    auto plus = [&id_fields](std::vector<Field> more) {
      more.insert(more.end(), id_fields.begin(), id_fields.end());
      return more;
    };
    const bj::object apply{{"user_id", user_id_}, {"request_id", "hostile-apply"}, {"card_product_id", product_},
                           {"card_level", "1"}, {"phone_number", "5550100"}, {"phone_area_code", "1"}};
    const std::vector<Field> apply_fields{{"user_id", Kind::id},         {"request_id", Kind::text},
                                          {"card_product_id", Kind::id}, {"card_level", Kind::level},
                                          {"phone_number", Kind::text},  {"phone_area_code", Kind::text},
                                          {"embossed_name", Kind::text}};
    std::vector<Field> shared_fields = apply_fields;
    shared_fields.push_back({"share_quota_id", Kind::id});
    bj::object shared = apply;
    shared["share_quota_id"] = quota_id_;
    shared["request_id"] = "hostile-shared";
    const std::vector<Field> paging{{"page", Kind::integer}, {"limit", Kind::integer}};

    return {
        // Admin API.
        {"POST", "/admin/v1/merchants", "", Auth::admin, {{"name", "New"}}, {{"name", Kind::text}, {"public_key", Kind::text}}},
        {"GET", "/admin/v1/merchants", "", Auth::admin, {}, {}, false, true},
        {"GET", "/admin/v1/merchants/" + m, m, Auth::admin, {}, {}, false, true},
        {"POST", "/admin/v1/merchants/" + m + "/deposits", m, Auth::admin, {{"amount", "1.00"}, {"currency", "USD"}},
         {{"amount", Kind::amount}, {"currency", Kind::text}}},
        {"POST", "/admin/v1/merchants/" + m + "/withdrawals", m, Auth::admin, {{"amount", "1.00"}, {"currency", "USD"}},
         {{"amount", Kind::amount}, {"currency", Kind::text}}},
        {"POST", "/admin/v1/merchants/" + m + "/webhooks", m, Auth::admin, {{"url", "http://127.0.0.1:9/hook"}},
         {{"url", Kind::text}}},
        {"POST", "/admin/v1/merchants/" + m + "/webhooks/test", m, Auth::admin, {}, {}, false},
        {"GET", "/admin/v1/merchants/" + m + "/events", m, Auth::admin, {}, {}, false, true},
        {"POST", "/admin/v1/card-products", "", Auth::admin,
         {{"name", "P"}, {"bin", "424242"}, {"network", "visa"}, {"currency", "USD"}, {"card_level", "1"},
          {"form", "virtual"}},
         {{"name", Kind::text}, {"bin", Kind::text}, {"network", Kind::text}, {"currency", Kind::text},
          {"card_level", Kind::level}, {"form", Kind::text}, {"over_limit_fee_rate_daily", Kind::rate},
          {"capture_tolerance_rate", Kind::rate}, {"fx_fee_rate", Kind::rate}, {"expiry_years", Kind::integer},
          {"merchant_ids", Kind::array}}},
        {"GET", "/admin/v1/card-products", "", Auth::admin, {}, {}, false, true},
        {"POST", "/admin/v1/fx-rates", "", Auth::admin, {{"base", "EUR"}, {"quote", "USD"}, {"rate", "1.1"}},
         {{"base", Kind::text}, {"quote", Kind::text}, {"rate", Kind::rate}}},
        {"GET", "/admin/v1/fx-rates", "", Auth::admin, {}, {}, false, true},
        {"GET", "/admin/v1/ledger/invariants", "", Auth::admin, {}, {}, false, true},
        {"POST", "/admin/v1/test/clock", "", Auth::admin, {{"now", "2030-01-01T00:00:00Z"}}, {{"now", Kind::text}}},
        {"POST", "/admin/v1/jobs/daily-fees/run", "", Auth::admin, {{"date", "2030-01-01"}}, {{"date", Kind::text}}},
        // MusePay.
        {"POST", "/v1/carduser/create", "", Auth::merchant,
         {{"user_xid", "new-holder"}, {"email", "new@example.test"},
          {"individual", bj::object{{"first_name", "A"}, {"last_name", "B"}, {"date_of_birth", "1990-01-01"}}}},
         {{"user_xid", Kind::text}, {"email", Kind::text}, {"individual", Kind::object}}},
        {"POST", "/v1/carduser/query", "", Auth::merchant, {{"user_id", user_id_}}, {{"user_id", Kind::id}}},
        {"POST", "/v1/card/apply", "", Auth::merchant, apply, apply_fields},
        {"POST", "/v1/card/apply-result", "", Auth::merchant, {{"request_id", "hostile-none"}, {"user_id", user_id_}},
         {{"request_id", Kind::id}, {"user_id", Kind::id}, {"apply_id", Kind::id}}},
        {"POST", "/v1/card/query", "", Auth::merchant, ids, id_fields},
        {"POST", "/v1/card/activate", "", Auth::merchant, ids, id_fields},
        {"POST", "/v1/card/activate-physical", "", Auth::merchant, ids, id_fields},
        {"POST", "/v1/card/lock", "", Auth::merchant, ids, id_fields},
        {"POST", "/v1/card/unlock", "", Auth::merchant, ids, id_fields},
        {"POST", "/v1/card/update-phone", "", Auth::merchant, with({{"phone_number", "5550199"}, {"phone_area_code", "44"}}),
         plus({{"phone_number", Kind::text}, {"phone_area_code", Kind::text}})},
        {"POST", "/v1/card/replace", "", Auth::merchant,
         {{"user_id", user_id_}, {"original_card_id", card_id_}, {"replace_reason", "LOST"}, {"request_id", "hostile-replace"}},
         {{"user_id", Kind::id}, {"original_card_id", Kind::id}, {"replace_reason", Kind::text}, {"request_id", Kind::text}}},
        {"POST", "/v1/card/limitChange", "", Auth::merchant, with({{"daily_purchase_limit", "100.00"}}),
         plus({{"daily_purchase_limit", Kind::limit}})},
        {"POST", "/v1/card/card-sensitive-info", "", Auth::merchant, with({{"ip_address", "127.0.0.1"}}),
         plus({{"ip_address", Kind::text}})},
        {"POST", "/v1/card/get-change-pin-model", "", Auth::merchant, ids, id_fields},
        {"POST", "/v1/card/change-pin", "", Auth::merchant, with({{"card_pin", "bm90IGEgcGlu"}}),
         plus({{"card_pin", Kind::text}})},
        {"POST", "/v1/cardaccount/topup", "", Auth::merchant,
         with({{"request_id", "hostile-topup"}, {"amount", "1.00"}, {"currency", "USD"}}),
         plus({{"request_id", Kind::text}, {"amount", Kind::amount}, {"currency", Kind::text}})},
        {"POST", "/v1/cardaccount/transactions", "", Auth::merchant, ids,
         plus({{"order_no", Kind::filter}, {"detail_id", Kind::filter}, {"tx_status", Kind::text}, {"tx_type", Kind::text},
               {"date_range_from", Kind::integer}, {"date_range_to", Kind::integer}, {"page_size", Kind::integer},
               {"page_number", Kind::integer}}),
         true, true},
        {"POST", "/v1/card/share-quota/quota/create", "", Auth::merchant,
         {{"request_id", "hostile-quota"}, {"card_product_id", product_}, {"card_level", "1"}, {"share_quota_name", "Q"}},
         {{"request_id", Kind::text}, {"card_product_id", Kind::id}, {"card_level", Kind::level},
          {"share_quota_name", Kind::text}, {"remark", Kind::text}}},
        {"POST", "/v1/card/share-quota/quota/tx/adjustment", "", Auth::merchant,
         {{"share_quota_id", quota_id_}, {"request_id", "hostile-adjust"}, {"amount", "1.00"}},
         {{"share_quota_id", Kind::id}, {"request_id", Kind::text}, {"amount", Kind::amount}, {"remark", Kind::text}}},
        {"POST", "/v1/card/share-quota/quota/frozen", "", Auth::merchant, {{"share_quota_id", quota_id_}},
         {{"share_quota_id", Kind::id}}},
        {"POST", "/v1/card/share-quota/quota/unfrozen", "", Auth::merchant, {{"share_quota_id", quota_id_}},
         {{"share_quota_id", Kind::id}}},
        {"POST", "/v1/card/share-quota/apply", "", Auth::merchant, shared, shared_fields},
        {"POST", "/v1/card/share-quota/card/limit", "", Auth::merchant, with({{"card_limit", "10.00"}}),
         plus({{"card_limit", Kind::limit}})},
        {"POST", "/v1/card/share-quota/quota/list", "", Auth::merchant, {},
         {{"share_quota_id", Kind::filter}, {"page", Kind::integer}, {"limit", Kind::integer}}, true, true},
        {"POST", "/v1/card/share-quota/quota/tx/list", "", Auth::merchant, {},
         {{"share_quota_id", Kind::filter}, {"request_id", Kind::filter}, {"start_time", Kind::integer},
          {"end_time", Kind::integer}, {"page", Kind::integer}, {"limit", Kind::integer}},
         true, true},
        {"GET", "/v1/card/sensitive-info/" + std::string(43, 'A'), std::string(43, 'A'), Auth::merchant, {}, {}, false,
         true},
        // The network simulator. The authorization asks for more than the card has, so that
        // even a request that slipped through would move nothing.
        {"POST", "/sim/v1/authorizations", "", Auth::sim,
         {{"card_id", card_id_}, {"amount", "50.00"}, {"currency", "USD"}, {"transaction_type", "PURCHASE"},
          {"card_present", false}, {"merchant", bj::object{{"name", "Shop"}, {"mcc", "5411"}, {"country", "US"}}}},
         {{"amount", Kind::amount}, {"currency", Kind::text}, {"transaction_type", Kind::text}, {"card_present", Kind::flag},
          {"merchant", Kind::object}, {"expiry_month", Kind::integer}, {"cvv", Kind::text}}},
        {"POST", "/sim/v1/authorizations/" + a + "/capture", a, Auth::sim, {{"amount", "1.00"}}, {{"amount", Kind::amount}}},
        {"POST", "/sim/v1/authorizations/" + a + "/reverse", a, Auth::sim, {{"amount", "1.00"}}, {{"amount", Kind::amount}}},
        {"POST", "/sim/v1/authorizations/" + a + "/expire", a, Auth::sim, {}, {}, false},
        {"GET", "/sim/v1/authorizations/" + a, a, Auth::sim, {}, {}, false, true},
        // (A refund by card_id of any amount is valid by design, so the body names the
        // authorization, which has nothing captured to refund.)
        {"POST", "/sim/v1/refunds", "", Auth::sim, {{"authorization_id", a}, {"amount", "1.00"}, {"currency", "USD"}},
         {{"authorization_id", Kind::id}, {"amount", Kind::amount}, {"currency", Kind::text}}},
    };
  }

  Headers headers_for(Auth auth) {
    Headers headers;
    if (auth == Auth::admin) headers.emplace_back("Authorization", "Bearer " + server_->admin_token());
    if (auth != Auth::admin) headers.emplace_back("x-api-key", api_key_);
    // Every write needs a key; a new one each time, so that nothing is a replay.
    headers.emplace_back("Idempotency-Key", "hostile-" + std::to_string(++request_counter_));
    return headers;
  }

  Reply send(const Route& route, const std::string& path, const std::string& body) {
    return call(route.method, path, route.method == "GET" ? std::string() : body, headers_for(route.auth));
  }

  // The rows a refused request must not touch.
  std::vector<std::string> state() {
    auto connection = database_->connect();
    std::vector<std::string> rows;
    for (const char* table : {"merchants", "accounts", "transfers", "card_products", "card_product_merchants", "fx_rates",
                              "card_holders", "card_applications", "cards", "spend_controls", "card_orders",
                              "sensitive_info_tokens", "budget_quotas", "quota_orders", "quota_fee_days"}) {
      auto result = connection->query(std::string("SELECT * FROM ") + table + " ORDER BY 1", {});
      EXPECT_TRUE(result.ok()) << table;
      if (!result.ok()) continue;
      for (const auto& row : *result) {
        std::string line = table;
        for (std::size_t i = 0; i < row.size(); ++i) {
          auto text = row.optional_text(i);
          line += "|" + (text ? *text : std::string("NULL"));
        }
        rows.push_back(line);
      }
    }
    // Authorizations: declines of unknown cards may be recorded, but nothing approved or
    // changed.
    auto authorizations = connection->query(
        "SELECT authorization_id, state, held_minor, captured_minor, refunded_minor, counted_minor FROM authorizations "
        "WHERE status = 'APPROVED' ORDER BY 1",
        {});
    EXPECT_TRUE(authorizations.ok());
    if (authorizations.ok()) {
      for (const auto& row : *authorizations) {
        std::string line = "authorization";
        for (std::size_t i = 0; i < row.size(); ++i) line += "|" + row.text(i);
        rows.push_back(line);
      }
    }
    return rows;
  }

  void expect_unchanged(const std::vector<std::string>& before) {
    const auto after = state();
    EXPECT_EQ(before.size(), after.size());
    for (std::size_t i = 0; i < std::min(before.size(), after.size()); ++i) EXPECT_EQ(before[i], after[i]);
  }

  // The answer to a hostile request: a 4xx (or, where `may_succeed`, a 2xx), never 5xx.
  static void expect_refused(const Reply& reply, const std::string& what, bool may_succeed = false) {
    if (may_succeed && reply.status >= 200 && reply.status < 300) return;
    EXPECT_GE(reply.status, 400) << what << " -> " << reply.body;
    EXPECT_LT(reply.status, 500) << what << " -> " << reply.body;
  }

  std::string merchant_id_, api_key_, product_, user_id_, card_id_, quota_id_, authorization_id_;
  std::unique_ptr<MusePayClient> musepay_;
  int request_counter_ = 0;
};

// Every field of every route, with every hostile value of its kind.
TEST_P(HostileInput, FieldsWithHostileValuesAreRefused) {
  const auto before = state();
  int sent = 0;
  for (const Route& route : routes()) {
    for (const Field& field : route.fields) {
      for (const Hostile& value : values_for(field.kind)) {
        bj::object body = route.body;
        body[field.name] = "__HOSTILE__";
        std::string text = bj::serialize(body);
        text.replace(text.find("\"__HOSTILE__\""), 13, value.json);
        const std::string what = route.method + " " + route.path + " " + field.name + "=" + value.label;
        Reply reply = send(route, route.path, text);
        ++sent;
        if (route.auth == Auth::sim && route.path == "/sim/v1/authorizations" && reply.status == 201) {
          // Still a valid request (a value the field tolerates): the engine's decision stands.
          EXPECT_EQ(reply.text("status"), "DECLINED") << what << " -> " << reply.body;
          continue;
        }
        expect_refused(reply, what, route.read_only && field.kind == Kind::filter);
      }
    }
  }
  // Hostile ids in paths and in query strings.
  for (const Route& route : routes()) {
    if (route.path_id.empty()) continue;
    for (const std::string& id : hostile_strings()) {
      if (id.empty()) continue;  // "/merchants/" is another route
      std::string path = route.path;
      path.replace(path.find(route.path_id), route.path_id.size(), percent_encode(id));
      const std::string what = route.method + " " + path.substr(0, 120);
      Reply reply = send(route, path, bj::serialize(route.body));
      ++sent;
      expect_refused(reply, what);
    }
  }
  for (const std::string& target : {std::string("/admin/v1/merchants?page_size="), std::string("/admin/v1/merchants?page="),
                                    "/admin/v1/merchants/" + merchant_id_ + "/events?limit="}) {
    for (const char* value : {"1e400", "99999999999999999999999", "-1", "-0", "0", "abc", "%00", "%27%20OR%201%3D1",
                              "1.5", "%F0%9F%98%80", "9223372036854775807"}) {
      Reply reply = admin("GET", target + value);
      ++sent;
      expect_refused(reply, target + value);
    }
  }
  std::cout << "[ hostile  ] " << sent << " requests with hostile fields, ids and queries\n";
  expect_unchanged(before);
}

// Bodies that are not JSON objects, on every route that reads a body.
TEST_P(HostileInput, MalformedBodiesAreRefused) {
  const auto before = state();
  for (const Route& route : routes()) {
    if (!route.reads_body || route.method == "GET") continue;
    for (const auto& [body, label] : malformed_bodies()) {
      // An empty body is "{}" for capture and reverse (capture or reverse all that is held).
      if (body.empty() && route.path.starts_with("/sim/v1/authorizations/")) continue;
      for (const std::string& content_type : {std::string("application/json"), std::string("application/x-www-form-urlencoded")}) {
        Headers headers = headers_for(route.auth);
        Reply reply = call(route.method, route.path, body, headers, content_type);
        expect_refused(reply, route.path + " with " + label + " as " + content_type);
      }
    }
  }
  // HashDT (/issuing/api/v1), when it is there: the same bodies with its headers.
  for (const std::string& path : {std::string("/issuing/api/v1/cardholder"), std::string("/issuing/api/v1/card"),
                                  std::string("/issuing/api/v1/card/limit")}) {
    for (const auto& [body, label] : malformed_bodies()) {
      if (body.empty()) continue;  // an empty body is an empty object there
      Headers headers{{"x-api-key", api_key_}, {"x-request-id", "hostile-" + std::to_string(++request_counter_)},
                      {"x-cardholder-id", user_id_}, {"x-card-id", card_id_}, {"x-product-id", product_},
                      {"x-wallet-id", "' OR '1'='1"}};
      expect_refused(call("POST", path, body, headers), path + " with " + label);
    }
  }
  expect_unchanged(before);
}

// An id holding a NUL character ("a\u0000b" in JSON) names no object: 404 or 400, never 500.
// (PostgreSQL text cannot hold NUL: its driver refuses such a value as invalid input.)
TEST_P(HostileInput, NulInIdsIsNotAServerError) {
  const auto before = state();
  const std::string nul_id = bj::serialize(bj::value(std::string("a\0b", 3)));
  for (const Route& route : routes()) {
    for (const Field& field : route.fields) {
      if (field.kind != Kind::id) continue;
      bj::object body = route.body;
      body[field.name] = "__HOSTILE__";
      std::string text = bj::serialize(body);
      text.replace(text.find("\"__HOSTILE__\""), 13, nul_id);
      Reply reply = send(route, route.path, text);
      if (route.path == "/sim/v1/authorizations" && reply.status == 201) continue;
      expect_refused(reply, route.method + " " + route.path + " " + field.name + " with a NUL");
    }
  }
  expect_unchanged(before);
}

// What a client library would never send: each gets a 4xx or a closed connection.
TEST_P(HostileInput, TransportAbuseIsRefusedOrClosed) {
  const auto before = state();
  // A 10 MB body (the limit is 1 MiB).
  {
    const std::string huge(10 * 1024 * 1024, 'x');
    for (const auto& [path, auth] : std::vector<std::pair<std::string, Auth>>{
             {"/admin/v1/merchants", Auth::admin}, {"/v1/card/query", Auth::merchant}, {"/sim/v1/authorizations", Auth::sim}}) {
      http::Client client = server_->client();
      auto response = client.request("POST", path, headers_for(auth), "{\"a\":\"" + huge + "\"}");
      EXPECT_TRUE(!response.ok() || response->status == 413) << path << " -> " << response->status;
    }
  }
  struct RawCase {
    std::string label;
    std::string request;
  };
  std::string many_headers = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (int i = 0; i < 5000; ++i) many_headers += "X-Hostile-" + std::to_string(i) + ": v\r\n";
  many_headers += "\r\n";
  const std::vector<RawCase> raw = {
      {"5000 headers", many_headers},
      {"one 100 KB header", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100 * 1024, 'b') + "\r\n\r\n"},
      {"100 KB target", "GET /" + std::string(100 * 1024, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"TLS hello", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + std::string(64, '\0')},
      {"garbage line", "HELLO THERE\r\n\r\n"},
      {"bad version", "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n"},
      {"NUL in target", std::string("GET /heal\0thz HTTP/1.1\r\nHost: x\r\n\r\n", 36)},
      {"negative length", "POST /admin/v1/merchants HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}"},
      {"huge length", "POST /admin/v1/merchants HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n{}"},
      {"two lengths", "POST /admin/v1/merchants HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 30\r\n\r\n{}"},
      {"length and chunked", "POST /admin/v1/merchants HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin/v1/merchants HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"bad chunk", "POST /admin/v1/merchants HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"},
      {"header without colon", "GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n"},
      {"CR in header value", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n"},
      {"bad percent escape", "GET /admin/v1/merchants/%zz HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"fragment", "GET /admin/v1/merchants#x HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"unknown method", "BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"body shorter than length", "POST /admin/v1/merchants HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"name\":"},
  };
  for (const RawCase& c : raw) {
    RawConnection connection(server_->port(), 3000);
    ASSERT_TRUE(connection.connected());
    connection.send(c.request);
    bool closed = false;
    const std::string response = connection.receive(&closed);
    const int status = status_of(response);
    // A 4xx, or the connection closed without an answer. "unknown method" may be 404/405.
    const bool refused = (status >= 400 && status < 500) || (status == 0 && closed);
    EXPECT_TRUE(refused || (c.label == "body shorter than length" && status == 0))
        << c.label << ": status " << status << ", closed " << closed << ": " << response.substr(0, 200);
    EXPECT_LT(status, 500) << c.label;
  }
  EXPECT_EQ(call("GET", "/healthz").status, 200);
  expect_unchanged(before);
}

// A client that sends a byte every 100 ms, and one that stops mid-header: neither holds
// up anyone else, the slow one is answered, and the stalled one is closed by the 15 s
// request timeout (not kept forever).
TEST_P(HostileInput, SlowAndStalledClientsDoNotHangTheServer) {
  const auto started = SteadyClock::now();
  RawConnection stalled(server_->port(), 500);
  ASSERT_TRUE(stalled.connected());
  ASSERT_TRUE(stalled.send("GET /healthz HTTP/1.1\r\nHost: 127."));

  std::atomic<bool> slow_done{false};
  std::string slow_response;
  std::thread slow([&] {
    RawConnection connection(server_->port(), 5000);
    const std::string request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(10, 's') +
                                "\r\nConnection: close\r\n\r\n";
    for (char c : request) {  // about 6 s
      if (!connection.send(std::string_view(&c, 1))) break;
      std::this_thread::sleep_for(100ms);
    }
    slow_response = connection.receive();
    slow_done = true;
  });

  // Meanwhile everyone else is served promptly.
  int served = 0;
  while (!slow_done) {
    const auto before = SteadyClock::now();
    http::Client other = server_->client();
    auto response = other.request("GET", "/healthz", {});
    EXPECT_TRUE(response.ok() && response->status == 200);
    EXPECT_LT(SteadyClock::now() - before, 2s) << "a healthy client waited behind a slow one";
    ++served;
    std::this_thread::sleep_for(200ms);
  }
  slow.join();
  EXPECT_GT(served, 10);
  EXPECT_EQ(status_of(slow_response), 200) << slow_response.substr(0, 200);

  // The stalled connection is closed by the request timeout (15 s), with or without a 408.
  bool closed = false;
  std::string stalled_response;
  while (!closed && SteadyClock::now() - started < 25s) {
    stalled_response += stalled.receive(&closed);
  }
  EXPECT_TRUE(closed) << "a connection that stopped mid-header was still open after 25 s";
  const int status = status_of(stalled_response);
  EXPECT_TRUE(status == 0 || (status >= 400 && status < 500)) << stalled_response.substr(0, 200);
  EXPECT_LT(SteadyClock::now() - started, 25s);
}

// The largest amounts the API accepts, in a foreign currency at the largest FX rate and FX
// fee it accepts: the conversion must be refused or declined, never approved for a wrapped
// (small or negative) card amount, and the ledger stays whole (TearDown).
// DISABLED: today the first request kills issuerd ("invariant broken: ask.amount_minor > 0
// at src/domain/authorization.cpp:62"): convert_minor overflows __int128 (USDT card), and
// engine/authorizations.cpp to_card_amount adds `converted + fee` unchecked (EUR card, FX
// fee 0.1, rate 1), so a wrapped, non-positive amount reaches the asserted decision. See
// docs/reliability.md; re-enable once both are checked.
TEST_P(HostileInput, ExtremeForeignAmountsAreNeverApproved) {
  ASSERT_EQ(admin("POST", "/admin/v1/fx-rates", R"({"base":"USD","quote":"USDT","rate":"9223372.036854775"})").status, 200);
  ASSERT_EQ(admin("POST", "/admin/v1/fx-rates", R"({"base":"USD","quote":"EUR","rate":"1"})").status, 200);
  ASSERT_EQ(admin("POST", "/admin/v1/fx-rates", R"({"base":"JPY","quote":"USDT","rate":"9223372.036854775"})").status, 200);
  struct Program {
    std::string currency;
    std::string fx_fee_rate;
  };
  int n = 0;
  for (const Program& program : {Program{"USDT", "0"}, Program{"EUR", "0.1"}}) {
    Reply product = admin("POST", "/admin/v1/card-products",
                          bj::serialize(bj::object{{"name", "Extreme " + program.currency}, {"bin", "424242"},
                                                   {"network", "visa"}, {"currency", program.currency},
                                                   {"card_level", "1"}, {"form", "virtual"},
                                                   {"fx_fee_rate", program.fx_fee_rate}}));
    ASSERT_EQ(product.status, 201) << product.body;
    deposit(merchant_id_, "100", program.currency);
    const std::string user = musepay_->create_holder("extreme-" + program.currency);
    const std::string card = musepay_->issue_card(user, product.text("card_product_id"));
    ASSERT_FALSE(card.empty());
    ASSERT_EQ(musepay_->call("/v1/cardaccount/topup", bj::object{{"request_id", "extreme-" + program.currency},
                                                                 {"card_id", card}, {"user_id", user}, {"amount", "100"},
                                                                 {"currency", program.currency}}).status,
              200);
    const auto before = state();
    for (const auto& [amount, currency] : std::vector<std::pair<std::string, std::string>>{
             {"92233720368547758.07", "USD"}, {"9223337007001001", "USD"}, {"9223372036854775807", "JPY"},
             {"92233720368547.75", "USD"}}) {
      const std::string what = amount + " " + currency + " on a " + program.currency + " card";
      Reply reply = call("POST", "/sim/v1/authorizations",
                         bj::serialize(bj::object{{"card_id", card}, {"amount", amount}, {"currency", currency}}),
                         {{"x-api-key", api_key_}, {"Idempotency-Key", "extreme-" + std::to_string(++n)}});
      EXPECT_LT(reply.status, 500) << what << " -> " << reply.body;
      if (reply.status == 0) {
        std::ifstream log(server_->log_path());
        std::stringstream text;
        text << log.rdbuf();
        const std::string all = text.str();
        FAIL() << what << ": no answer; the log ends with:\n" << all.substr(all.size() > 600 ? all.size() - 600 : 0);
      }
      if (reply.status == 201) {
        EXPECT_EQ(reply.text("status"), "DECLINED") << what << " -> " << reply.body;
        EXPECT_NE(reply.text("response_code"), "00") << what;
      } else {
        EXPECT_GE(reply.status, 400) << what << " -> " << reply.body;
      }
    }
    expect_unchanged(before);
  }
}

ISSUERD_E2E_SUITE(HostileInput);

}  // namespace
}  // namespace issuerd::e2e
