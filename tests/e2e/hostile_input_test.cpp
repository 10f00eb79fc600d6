// Hostile input over real HTTP on both databases, table-driven over every route of
// docs/api.md and src/api/**/register_*: the admin API, MusePay, the simulator, AdPos (JSON,
// urlencoded and multipart bodies, access tokens) and HashDT (bodies and x-* headers):
// malformed bodies and forms, wrong types, huge numbers, -0, unicode and SQL metacharacters
// in ids, headers and queries, bad credentials, a 10 MB body, thousands of headers, garbage
// instead of HTTP, slow and stalled clients. Each gets a 4xx or a closed connection, never
// a 5xx; AdPos and HashDT answer in their own error shape and name the field at fault; the
// server stays up (the fixture's TearDown asks GET /healthz and checks the ledger); and
// nothing changes: every row of the ledger and of the merchants', products', holders',
// cards', quotas', tokens', tasks' and idempotency keys' tables is the same afterwards.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <iostream>
#include <sstream>
#include <thread>

#include "crypto/hashing.h"
#include "musepay_client.h"
#include "storage/store.h"
#include "webhook_receiver.h"

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

// ---- what is sent ----

// How a request authenticates: the admin token, a merchant's api key (MusePay, the simulator
// and HashDT), an AdPos access token as Bearer, or nothing (AdPos's token route itself).
enum class Auth { admin, merchant, sim, adpos, hashdt, none };

// The error shape a route answers in, checked on every refusal of AdPos and HashDT
// (docs/api.md); the older dialects' shapes are their own suites' business.
enum class Envelope { unchecked, adpos, hashdt };

// How a body goes out. AdPos reads all three (a form's values are text).
enum class Encoding { json, urlencoded, multipart };

// How a field is read, which decides what hostile values it gets and what may come back.
enum class Kind {
  id,           // names an existing object: SQL and unicode strings must find nothing
  text,         // free text or an enum: wrong types and numbers are refused
  choice,       // one word of a fixed set: hostile strings and near misses of the valid one too
  stored_text,  // free text kept as sent (names, emails, request ids): hostile strings too
  amount,       // a decimal amount (a JSON number is one too)
  limit,        // a decimal amount where 0 is allowed (so -0 is too)
  rate,         // a rate: like limit, and 9 decimals are fine
  integer,      // an integer (page, page_size, expiry_years, ...)
  filter,       // an optional string filter of a list: any string is a (maybe empty) filter
  level,        // card_level: a string or a non-negative integer
  object,       // a JSON object
  array,        // a JSON array
  flag,         // a boolean
  toggle,       // AdPos's 0 or 1 (a number, a digit string or a boolean)
  whole_units,  // HashDT's amount_limit: a positive JSON integer of whole currency units
  date,         // YYYY-MM-DD
};

struct Field {
  std::string name;  // "outer.inner" reaches into an object (a form sends outer[inner])
  Kind kind;
};

struct Route {
  std::string method;
  std::string path;    // with real ids of the fixture's objects
  std::string path_id = {};  // the id in the path ("" if none): replaced by hostile ids too
  Auth auth;
  bj::object body = {};  // valid, for the fixture's objects; never sent as is
  std::vector<Field> fields = {};
  bool reads_body = true;
  bool read_only = false;  // a list: a filter may match nothing and answer 200
  Headers headers = {};                          // sent every time (HashDT's x-* headers)
  std::vector<std::string> header_fields = {};   // headers that get every hostile string
  std::vector<std::string> query_params = {};    // paging parameters that get hostile values
  std::vector<Encoding> encodings = {Encoding::json};
  Envelope envelope = Envelope::unchecked;
  // Where a hostile value may still leave a valid request (a tolerated "" or a name), the
  // base body is built to be refused anyway (another merchant's bin, a limit the card has
  // already, a taken external_id...), so nothing can take effect: the refusal's reason.
  // Every other refusal must name the field at fault.
  std::string blocked_reason = {};
  std::string blocking_field = {};  // the body field the block rests on: never left out
};

// A hostile value as raw JSON text (so that 1e400 and 99999999999999999999999 go out as
// written) and whether the route may accept it (a filter that matches nothing).
struct Hostile {
  std::string json;
  std::string label;
};

// The hostile "value" that leaves the field out altogether.
const Hostile absent{"", "absent"};

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
    case Kind::choice:
    case Kind::stored_text:
      add(string_values());
      add(wrong_types);
      add(huge_numbers);
      break;
    case Kind::toggle:
      add({{"2", "2"}, {"-1", "negative"}, {"1.5", "fraction"}, {"\"yes\"", "yes"}, {"\"0x1\"", "hex"},
           {"\"\xD9\xA1\"", "arabic digit"}, {"\"1 OR 1=1\"", "sql"}, {"[]", "array"}, {"{}", "object"}});
      add(huge_numbers);
      break;
    case Kind::whole_units:
      add({{"\"100\"", "string"}, {"100.5", "fraction"}, {"1e2", "exponent"}, {"0", "zero"}, {"-1", "negative"},
           {"-0", "-0"}, {"true", "bool"}, {"[]", "array"}, {"{}", "object"}, {"null", "null"},
           {"92233720368547759", "minor units beyond int64"}, {"9223372036854775807", "int64 max"}});
      add(huge_numbers);
      break;
    case Kind::date:
      add({{"\"1990-13-01\"", "month 13"}, {"\"1990-00-10\"", "month 0"}, {"\"1990-01-32\"", "day 32"},
           {"\"90-01-01\"", "short year"}, {"\"1990/01/01\"", "slashes"}, {"\"1990-01-01T00:00:00Z\"", "timestamp"},
           {"\"\xD9\xA1\xD9\xA9\xD9\xA9\xD9\xA0-01-01\"", "arabic digits"}, {"\"+1990-01-01\"", "sign"}});
      add(string_values());
      add(wrong_types);
      add(huge_numbers);
      break;
  }
  return values;
}

// Near misses of a valid word: other case, padding, a NUL, a zero-width space, SQL after it.
std::vector<Hostile> near_misses(const bj::value& valid) {
  if (!valid.is_string()) return {};
  const std::string word(valid.get_string());
  std::string swapped = word;
  for (char& c : swapped) {
    const auto u = static_cast<unsigned char>(c);
    c = static_cast<char>(std::islower(u) != 0 ? std::toupper(u) : std::tolower(u));
  }
  std::vector<Hostile> values;
  for (const auto& [text, label] : std::vector<std::pair<std::string, std::string>>{
           {swapped, "other case"}, {" " + word, "leading space"}, {word + " ", "trailing space"},
           {word + std::string(1, '\0'), "trailing NUL"}, {word + "\xE2\x80\x8B", "zero-width space"},
           {word + "' OR '1'='1", "sql"}}) {
    values.push_back({bj::serialize(bj::value(text)), label});
  }
  return values;
}

// Every hostile value for one field of one route: its kind's, and for a word of a fixed
// set, the near misses of the route's valid one.
std::vector<Hostile> hostile_values(const Route& route, const Field& field) {
  std::vector<Hostile> values = values_for(field.kind);
  // Leaving a field out or sending null is safe only where the base body is blocked: an
  // optional field left out is still a valid request.
  if (!route.blocked_reason.empty() && field.name != route.blocking_field) {
    values.push_back(absent);
    values.push_back({"null", "null"});
  }
  if (field.kind != Kind::choice) return values;
  const bj::value* valid = route.body.if_contains(field.name);
  if (valid != nullptr) {
    const auto more = near_misses(*valid);
    values.insert(values.end(), more.begin(), more.end());
  }
  return values;
}

// Bodies that are not a JSON object at all (a form body among them: a JSON route must refuse
// it; AdPos reads it as the form it is, which then fails validation).
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

// Form bodies that AdPos's parser must refuse (400: malformed, a limit of src/http/forms.h,
// a field sent twice) or that parse into fields validation then refuses (422).
struct MalformedForm {
  std::string body;
  std::string content_type;
  std::string label;
  int status;
};

std::string multipart_part(const std::string& headers, const std::string& value) {
  return std::string("--") + multipart_boundary + "\r\n" + headers + "\r\n\r\n" + value + "\r\n";
}

std::vector<MalformedForm> malformed_forms() {
  const std::string form = "application/x-www-form-urlencoded";
  const std::string multi = multipart_content_type();
  const std::string close = std::string("--") + multipart_boundary + "--\r\n";
  FormFields many;
  for (int i = 0; i < 101; ++i) many.emplace_back("f" + std::to_string(i), "1");
  return {
      {"num=%zz", form, "bad escape", 400},
      {"num=1%", form, "truncated escape", 400},
      {"num=1&num=2", form, "a field twice", 400},
      {"auto_topup_rule=x&auto_topup_rule[min_balance]=1", form, "text, then the object", 400},
      {"auto_topup_rule[min_balance]=1&auto_topup_rule=x", form, "the object, then text", 400},
      {"auto_topup_rule[min_balance]=1&auto_topup_rule[min_balance]=2", form, "an object member twice", 400},
      {std::string(129, 'n') + "=1", form, "a 129-byte name", 400},
      {"num=" + std::string(16 * 1024 + 1, '1'), form, "a 16 KiB + 1 value", 400},
      {urlencoded(many), form, "101 fields", 400},
      {"num[a][b]=1&num[]=1", form, "nested brackets (unknown names)", 422},
      {"\xFF\xFE=\xFD&%FF=%00", form, "binary names and values", 422},
      {multipart({{"num", "1"}}), "multipart/form-data", "no boundary", 400},
      {multipart({{"num", "1"}}), "multipart/form-data; boundary=" + std::string(71, 'b'), "a 71-character boundary", 400},
      {multipart({{"num", "1"}}), "multipart/form-data; boundary=other", "another boundary", 400},
      {multipart_part("Content-Disposition: form-data; name=\"num\"", "1"), multi, "no close delimiter", 400},
      {multipart_part("Content-Disposition: form-data; name=\"num\"; filename=\"a.txt\"", "1") + close, multi,
       "a file upload", 400},
      {multipart_part("Content-Type: text/plain", "1") + close, multi, "no Content-Disposition", 400},
      {multipart_part("Content-Disposition: form-data", "1") + close, multi, "no name", 400},
      {multipart_part("Content-Disposition: form-data; name=\"num\"\r\nX-Big: " + std::string(5000, 'h'), "1") + close,
       multi, "5 KB of part headers", 400},
      {std::string("--") + multipart_boundary + "\nContent-Disposition: form-data; name=\"num\"\n\n1\n--" +
           multipart_boundary + "--\n",
       multi, "LF line endings", 400},
      {multipart({{"num", "1"}, {"num", "2"}}), multi, "a field twice", 400},
      {multipart(many), multi, "101 parts", 400},
  };
}

// ---- a body with one hostile value ----

constexpr std::string_view hostile_placeholder = "__HOSTILE__";

// "outer.inner" -> {"outer", "inner"}; {"name", ""} for a top-level field.
std::pair<std::string, std::string> split_field(const std::string& name) {
  const std::size_t dot = name.find('.');
  if (dot == std::string::npos) return {name, ""};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

// The body as JSON text with `field` set to `raw_json` exactly as written (left out when
// `raw_json` is absent's).
std::string json_with(bj::object body, const std::string& field, const std::string& raw_json) {
  const auto [outer, inner] = split_field(field);
  if (raw_json == absent.json) {
    bj::value* object = inner.empty() ? nullptr : body.if_contains(outer);
    if (inner.empty()) body.erase(outer);
    if (object != nullptr && object->is_object()) object->as_object().erase(inner);
    return bj::serialize(body);
  }
  if (inner.empty()) {
    body[outer] = hostile_placeholder;
  } else {
    bj::value& object = body[outer];
    if (!object.is_object()) object.emplace_object();
    object.as_object()[inner] = hostile_placeholder;
  }
  std::string text = bj::serialize(body);
  const std::string quoted = "\"" + std::string(hostile_placeholder) + "\"";
  text.replace(text.find(quoted), quoted.size(), raw_json);
  return text;
}

// What a form carries for a JSON value: a string's characters, anything else as written.
std::string form_text(const std::string& raw_json) {
  if (raw_json.empty() || raw_json.front() != '"') return raw_json;
  return std::string(bj::parse(raw_json).as_string());
}

std::string form_text(const bj::value& value) {
  return value.is_string() ? std::string(value.get_string()) : bj::serialize(value);
}

// The body as form fields, objects as PHP-style outer[inner] fields (as AdPos reads them),
// with `field` set to `text` in place of whatever the body had there.
FormFields form_with(const bj::object& body, const std::string& field, const std::string& text) {
  const auto [outer, inner] = split_field(field);
  const std::string target = inner.empty() ? outer : outer + "[" + inner + "]";
  FormFields fields;
  auto add = [&](const std::string& name, const bj::value& value) {
    if (name != target && !name.starts_with(target + "[")) fields.emplace_back(name, form_text(value));
  };
  for (const auto& member : body) {
    const std::string name(member.key());
    if (!member.value().is_object()) {
      add(name, member.value());
      continue;
    }
    for (const auto& nested : member.value().get_object()) add(name + "[" + std::string(nested.key()) + "]", nested.value());
  }
  if (text != absent.json) fields.emplace_back(target, text);
  return fields;
}

struct EncodedBody {
  std::string text;
  std::string content_type;
};

EncodedBody encode_with(const bj::object& body, const std::string& field, const std::string& raw_json, Encoding encoding) {
  switch (encoding) {
    case Encoding::json: break;
    case Encoding::urlencoded:
      return {urlencoded(form_with(body, field, form_text(raw_json))), "application/x-www-form-urlencoded"};
    case Encoding::multipart: return {multipart(form_with(body, field, form_text(raw_json))), multipart_content_type()};
  }
  return {json_with(body, field, raw_json), "application/json"};
}

const char* encoding_name(Encoding encoding) {
  switch (encoding) {
    case Encoding::json: return "json";
    case Encoding::urlencoded: return "urlencoded";
    case Encoding::multipart: return "multipart";
  }
  return "?";
}

// Ids for paths beyond hostile_strings(): numbers a lookup by integer might take, a NUL, and
// the real id with SQL after it (a prefix match or an injection would find the object).
std::vector<std::string> hostile_path_ids(const std::string& real_id) {
  std::vector<std::string> ids;
  for (const std::string& id : hostile_strings()) {
    if (!id.empty()) ids.push_back(id);  // "/merchants/" is another route
  }
  for (const std::string& id : {std::string("-1"), std::string("0"), std::string("1e3"), std::string("0x10"),
                                std::string("99999999999999999999999"), std::string("9223372036854775808"),
                                std::string("a\0b", 3), real_id + "' OR '1'='1", real_id + " --", real_id + "%"}) {
    ids.push_back(id);
  }
  return ids;
}

// Values of a paging query parameter (page, per_page, page_size, limit): none is a whole
// number in range.
const std::vector<std::string>& hostile_query_values() {
  static const std::vector<std::string> values = {
      "1e400", "99999999999999999999999", "-1", "-0", "0", "abc", "%00", "%27%20OR%201%3D1",
      "1.5", "%F0%9F%98%80", "9223372036854775807", "0x10", "%D9%A1", "1%20OR%201=1"};
  return values;
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
    ASSERT_NO_FATAL_FAILURE(set_up_adpos());
    ASSERT_NO_FATAL_FAILURE(set_up_hashdt());
  }

  // A product open only to another merchant (an AdPos application that survives a hostile
  // value is then refused 403 before anything is written), an access token, and an AdPos
  // task with its shared card (no money moves: a shared card draws on the main account).
  void set_up_adpos() {
    const std::string other_merchant = create_merchant("Hostile other").first;
    Reply closed = admin("POST", "/admin/v1/card-products",
                         bj::serialize(bj::object{{"name", "Closed"}, {"bin", "424242"}, {"network", "visa"},
                                                  {"currency", "USD"}, {"card_level", "1"}, {"form", "virtual"},
                                                  {"merchant_ids", bj::array{bj::value(other_merchant)}}}));
    ASSERT_EQ(closed.status, 201) << closed.body;
    closed_bin_ = closed.text("card_product_id") + ":424242";
    open_bin_ = product_ + ":424242";
    Reply token = call("POST", "/auth/access-token",
                       bj::serialize(bj::object{{"merchant_id", merchant_id_}, {"api_key", api_key_}}));
    ASSERT_EQ(token.status, 200) << token.body;
    access_token_ = token.text("access_token");
    Reply applied = call("POST", "/cards/apply",
                         bj::serialize(bj::object{{"num", 1}, {"card_bin", open_bin_}, {"card_type", "shared"},
                                                  {"request_id", "hostile-setup-task"}}),
                         {{"Authorization", "Bearer " + access_token_}});
    ASSERT_EQ(applied.status, 200) << applied.body;
    task_id_ = std::to_string(applied["task_id"].as_int64());
    Reply task;
    ASSERT_TRUE(eventually([&] {
      task = call("GET", "/cards/tasks/" + task_id_, {}, {{"x-api-key", api_key_}});
      return task.status == 200 && task.text("status") != "pending";
    })) << task.body;
    ASSERT_EQ(task.text("status"), "completed") << task.body;
    adpos_card_id_ = std::string(task["cards"].at(0).at("card_id").as_string());
  }

  // The MusePay card's HashDT wallet, and a DAY PURCHASE limit on it (a HashDT create of
  // that limit is then refused 409 whatever else it says).
  void set_up_hashdt() {
    Reply card = call("GET", "/issuing/api/v1/card", {},
                      {{"x-api-key", api_key_}, {"x-cardholder-id", user_id_}, {"x-card-id", card_id_}});
    ASSERT_EQ(card.status, 200) << card.body;
    wallet_id_ = std::string(card["data"].at(0).at("wallet_id").as_string());
    Headers headers = hashdt_card_headers();
    headers.emplace_back("x-api-key", api_key_);
    headers.emplace_back("x-request-id", "hostile-setup-limit");
    Reply limit = call("POST", "/issuing/api/v1/card/limit",
                       bj::serialize(bj::object{{"amount_limit_period", "DAY"}, {"amount_limit", 1000},
                                                {"currency_code", "USD"}}),
                       headers);
    ASSERT_EQ(limit.status, 200) << limit.body;
  }

  Headers hashdt_card_headers() const {
    return {{"x-product-id", product_}, {"x-cardholder-id", user_id_}, {"x-wallet-id", wallet_id_}, {"x-card-id", card_id_}};
  }

  std::vector<Route> routes() const {
    std::vector<Route> all = admin_musepay_and_sim_routes();
    for (auto more : {adpos_routes(), hashdt_routes()}) all.insert(all.end(), more.begin(), more.end());
    return all;
  }

  std::vector<Route> adpos_routes() const {
    const std::vector<Encoding> every_encoding{Encoding::json, Encoding::urlencoded, Encoding::multipart};
    // Every optional field set, so that a hostile value cannot turn a rule off unnoticed.
    const bj::object apply{{"num", 1},
                           {"card_bin", closed_bin_},
                           {"card_type", "standard"},
                           {"request_id", "hostile-adpos"},
                           {"every_card_top_up_amount", "1.00"},
                           {"username", "hostile-user"},
                           {"auto_topup", 1},
                           {"auto_topup_rule", bj::object{{"min_balance", "10"}, {"topup_amount", "50"}}},
                           {"shared_card_balance", "100"},
                           {"shared_card_balance_unlimit", 0},
                           {"single_transaction_limit", "100"},
                           {"single_transaction_unlimit", 0}};
    const std::vector<Field> apply_fields{
        {"num", Kind::integer},          {"card_bin", Kind::id},
        {"card_type", Kind::choice},     {"request_id", Kind::stored_text},
        {"every_card_top_up_amount", Kind::limit}, {"username", Kind::stored_text},
        {"auto_topup", Kind::toggle},    {"auto_topup_rule", Kind::object},
        {"auto_topup_rule.min_balance", Kind::limit}, {"auto_topup_rule.topup_amount", Kind::amount},
        {"shared_card_balance", Kind::limit}, {"shared_card_balance_unlimit", Kind::toggle},
        {"single_transaction_limit", Kind::limit}, {"single_transaction_unlimit", Kind::toggle}};
    // On the merchant's own bin, for more than its (empty) main account has: the request
    // reaches the writer and is refused there, after the idempotency store has looked up
    // the hostile request_id.
    const bj::object costly{{"num", 1}, {"card_bin", open_bin_}, {"every_card_top_up_amount", "1.00"},
                            {"request_id", "hostile-costly"}, {"username", "hostile-user"}};
    const std::vector<std::string> paging{"page", "per_page"};
    return {
        // The right merchant with a wrong key: a pair that survives is still refused.
        {.method = "POST", .path = "/auth/access-token", .auth = Auth::none,
         .body = {{"merchant_id", merchant_id_}, {"api_key", "not-the-key"}},
         .fields = {{"merchant_id", Kind::id}, {"api_key", Kind::id}}, .encodings = every_encoding,
         .envelope = Envelope::adpos, .blocked_reason = "unauthenticated"},
        {.method = "GET", .path = "/cards/cardbins", .auth = Auth::adpos, .reads_body = false, .read_only = true,
         .envelope = Envelope::adpos},
        {.method = "POST", .path = "/cards/apply", .auth = Auth::adpos, .body = apply, .fields = apply_fields,
         .encodings = every_encoding, .envelope = Envelope::adpos, .blocked_reason = "card_bin_not_allowed"},
        {.method = "POST", .path = "/cards/apply", .auth = Auth::adpos, .body = costly,
         .fields = {{"request_id", Kind::stored_text}, {"username", Kind::stored_text}}, .encodings = every_encoding,
         .envelope = Envelope::adpos, .blocked_reason = "insufficient_balance"},
        {.method = "GET", .path = "/cards/tasks", .auth = Auth::adpos, .reads_body = false, .read_only = true,
         .query_params = paging, .envelope = Envelope::adpos},
        {.method = "GET", .path = "/cards/tasks/" + task_id_, .path_id = task_id_, .auth = Auth::adpos,
         .reads_body = false, .read_only = true, .envelope = Envelope::adpos},
        {.method = "GET", .path = "/cards", .auth = Auth::adpos, .reads_body = false, .read_only = true,
         .query_params = paging, .envelope = Envelope::adpos},
        {.method = "GET", .path = "/cards/" + adpos_card_id_, .path_id = adpos_card_id_, .auth = Auth::adpos,
         .reads_body = false, .read_only = true, .envelope = Envelope::adpos},
    };
  }

  std::vector<Route> hashdt_routes() const {
    const std::string limit = "/issuing/api/v1/card/limit";
    const std::string holder = "/issuing/api/v1/cardholder";
    const std::string card = "/issuing/api/v1/card";
    const std::vector<std::string> card_headers{"x-product-id", "x-cardholder-id", "x-wallet-id", "x-card-id"};
    std::vector<std::string> write_headers = card_headers;
    write_headers.push_back("x-request-id");
    const std::vector<Field> limit_fields{{"amount_limit_period", Kind::choice}, {"amount_limit", Kind::whole_units},
                                          {"currency_code", Kind::choice}, {"transaction_type", Kind::choice}};
    const std::vector<Field> delete_fields{{"amount_limit_period", Kind::choice}, {"currency_code", Kind::choice},
                                           {"transaction_type", Kind::choice}};
    // external_id is the MusePay holder's user_xid: a holder that survives is refused 409.
    // (A hostile string there would be a new, valid external_id: it gets wrong types only.)
    const bj::object new_holder{{"first_name", "Ada"}, {"last_name", "Lovelace"}, {"email", "ada@example.test"},
                                {"phone_number", "+15550100"}, {"date_of_birth", "1990-01-01"},
                                {"external_id", "hostile-holder"}};
    const std::vector<Field> holder_fields{{"first_name", Kind::stored_text}, {"last_name", Kind::stored_text},
                                           {"email", Kind::stored_text},      {"phone_number", Kind::stored_text},
                                           {"date_of_birth", Kind::date},     {"external_id", Kind::text}};
    return {
        // The card has its DAY PURCHASE limit (SetUp): a create that survives is 409.
        {.method = "POST", .path = limit, .path_id = "v1", .auth = Auth::hashdt,
         .body = {{"amount_limit_period", "DAY"}, {"amount_limit", 100}, {"currency_code", "USD"},
                  {"transaction_type", "PURCHASE"}},
         .fields = limit_fields, .headers = hashdt_card_headers(), .header_fields = write_headers,
         .envelope = Envelope::hashdt, .blocked_reason = "limit_exists"},
        // It has no WEEK limit: an update or a delete that survives is 404.
        {.method = "PATCH", .path = limit, .path_id = "v1", .auth = Auth::hashdt,
         .body = {{"amount_limit_period", "WEEK"}, {"amount_limit", 100}, {"currency_code", "USD"},
                  {"transaction_type", "PURCHASE"}},
         .fields = limit_fields, .headers = hashdt_card_headers(), .header_fields = write_headers,
         .envelope = Envelope::hashdt, .blocked_reason = "limit_not_found"},
        {.method = "DELETE", .path = limit, .path_id = "v1", .auth = Auth::hashdt,
         .body = {{"amount_limit_period", "WEEK"}, {"currency_code", "USD"}, {"transaction_type", "PURCHASE"}},
         .fields = delete_fields, .headers = hashdt_card_headers(), .header_fields = write_headers,
         .envelope = Envelope::hashdt, .blocked_reason = "limit_not_found"},
        {.method = "GET", .path = limit, .path_id = "v1", .auth = Auth::hashdt, .reads_body = false,
         .read_only = true, .headers = hashdt_card_headers(), .header_fields = card_headers,
         .envelope = Envelope::hashdt},
        {.method = "POST", .path = holder, .path_id = "v1", .auth = Auth::hashdt, .body = new_holder,
         .fields = holder_fields, .header_fields = {"x-request-id"}, .envelope = Envelope::hashdt,
         .blocked_reason = "external_id_taken", .blocking_field = "external_id"},
        {.method = "GET", .path = holder, .path_id = "v1", .auth = Auth::hashdt, .reads_body = false,
         .read_only = true, .headers = {{"x-cardholder-id", user_id_}}, .header_fields = {"x-cardholder-id"},
         .envelope = Envelope::hashdt},
        // The holder has a live card of the product: a card that survives is 409.
        {.method = "POST", .path = card, .path_id = "v1", .auth = Auth::hashdt,
         .body = {{"card_type", "virtual"}, {"embossed_name", "ADA LOVELACE"}},
         .fields = {{"card_type", Kind::choice}, {"embossed_name", Kind::stored_text}},
         .headers = {{"x-cardholder-id", user_id_}, {"x-product-id", product_}},
         .header_fields = {"x-cardholder-id", "x-product-id", "x-request-id"}, .envelope = Envelope::hashdt,
         .blocked_reason = "card_exists"},
        {.method = "GET", .path = card, .path_id = "v1", .auth = Auth::hashdt, .reads_body = false,
         .read_only = true, .headers = {{"x-cardholder-id", user_id_}, {"x-card-id", card_id_}},
         .header_fields = {"x-cardholder-id", "x-card-id"}, .envelope = Envelope::hashdt},
    };
  }

  std::vector<Route> admin_musepay_and_sim_routes() const {
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
        {.method = "GET", .path = "/admin/v1/merchants", .auth = Auth::admin, .reads_body = false, .read_only = true,
         .query_params = {"page_size", "page"}},
        {"GET", "/admin/v1/merchants/" + m, m, Auth::admin, {}, {}, false, true},
        {"POST", "/admin/v1/merchants/" + m + "/deposits", m, Auth::admin, {{"amount", "1.00"}, {"currency", "USD"}},
         {{"amount", Kind::amount}, {"currency", Kind::text}}},
        {"POST", "/admin/v1/merchants/" + m + "/withdrawals", m, Auth::admin, {{"amount", "1.00"}, {"currency", "USD"}},
         {{"amount", Kind::amount}, {"currency", Kind::text}}},
        {"POST", "/admin/v1/merchants/" + m + "/webhooks", m, Auth::admin, {{"url", "http://127.0.0.1:9/hook"}},
         {{"url", Kind::text}}},
        {"POST", "/admin/v1/merchants/" + m + "/webhooks/test", m, Auth::admin, {}, {}, false},
        {.method = "GET", .path = "/admin/v1/merchants/" + m + "/events", .path_id = m, .auth = Auth::admin,
         .reads_body = false, .read_only = true, .query_params = {"limit"}},
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

  Headers credentials_for(Auth auth) const {
    switch (auth) {
      case Auth::admin: return {{"Authorization", "Bearer " + server_->admin_token()}};
      case Auth::adpos: return {{"Authorization", "Bearer " + access_token_}};
      case Auth::none: return {};
      case Auth::merchant:
      case Auth::sim:
      case Auth::hashdt: break;
    }
    return {{"x-api-key", api_key_}};
  }

  Headers headers_for(const Route& route, bool with_credentials = true) {
    Headers headers = with_credentials ? credentials_for(route.auth) : Headers{};
    headers.insert(headers.end(), route.headers.begin(), route.headers.end());
    // Every write needs a key; a new one each time, so that nothing is a replay.
    const std::string key = "hostile-" + std::to_string(++request_counter_);
    headers.emplace_back("Idempotency-Key", key);
    if (route.auth == Auth::hashdt) headers.emplace_back("x-request-id", key);
    return headers;
  }

  // `overrides` replace the route's headers of the same name (or are added).
  Reply send(const Route& route, const std::string& path, const std::string& body,
             const std::string& content_type = "application/json", const Headers& overrides = {}) {
    Headers headers = headers_for(route);
    for (const auto& [name, value] : overrides) {
      std::erase_if(headers, [&name](const auto& header) { return header.first == name; });
      headers.emplace_back(name, value);
    }
    return call(route.method, path, route.method == "GET" ? std::string() : body, headers, content_type);
  }

  Reply send_with(const Route& route, const std::string& field, const std::string& raw_json, Encoding encoding) {
    const EncodedBody body = encode_with(route.body, field, raw_json, encoding);
    return send(route, route.path, body.text, body.content_type);
  }

  // The rows a refused request must not touch.
  std::vector<std::string> state() {
    auto connection = database_->connect();
    std::vector<std::string> rows;
    for (const char* table : {"merchants", "accounts", "transfers", "card_products", "card_product_merchants", "fx_rates",
                              "card_holders", "card_applications", "cards", "spend_controls", "card_orders",
                              "sensitive_info_tokens", "budget_quotas", "quota_orders", "quota_fee_days",
                              "idempotency_keys", "access_tokens", "adpos_tasks", "adpos_task_items"}) {
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
    // ORDER BY 1 does not order rows sharing a first column (idempotency keys of one scope).
    std::sort(rows.begin(), rows.end());
    return rows;
  }

  // Compares as sets and lists what appeared and what went, rather than every row after
  // the first difference.
  void expect_unchanged(const std::vector<std::string>& before, bool with_idempotency_keys = true) {
    const auto after = state();
    auto kept = [with_idempotency_keys](const std::vector<std::string>& rows) {
      std::vector<std::string> out;
      std::ranges::copy_if(rows, std::back_inserter(out), [with_idempotency_keys](const std::string& row) {
        return with_idempotency_keys || !row.starts_with("idempotency_keys|");
      });
      return out;
    };
    const std::vector<std::string> old_rows = kept(before), new_rows = kept(after);
    std::vector<std::string> gone, appeared;
    std::ranges::set_difference(old_rows, new_rows, std::back_inserter(gone));
    std::ranges::set_difference(new_rows, old_rows, std::back_inserter(appeared));
    auto show = [](const std::vector<std::string>& rows) {
      std::string text;
      for (std::size_t i = 0; i < std::min<std::size_t>(rows.size(), 10); ++i) text += "\n  " + rows[i].substr(0, 400);
      return text;
    };
    EXPECT_TRUE(gone.empty()) << gone.size() << " rows changed or went:" << show(gone);
    EXPECT_TRUE(appeared.empty()) << appeared.size() << " rows changed or appeared:" << show(appeared);
  }

  // The answer to a hostile request: a 4xx (or, where `may_succeed`, a 2xx), never 5xx.
  static void expect_refused(const Reply& reply, const std::string& what, bool may_succeed = false) {
    if (may_succeed && reply.status >= 200 && reply.status < 300) return;
    EXPECT_GE(reply.status, 400) << what << " -> " << reply.body;
    EXPECT_LT(reply.status, 500) << what << " -> " << reply.body;
  }

  std::vector<std::pair<std::string, Headers>> bad_credentials(Auth auth) const {
    std::vector<std::pair<std::string, Headers>> out = {
        {"no credentials", {}},
        {"an empty Bearer", {{"Authorization", "Bearer "}}},
        {"Basic auth", {{"Authorization", "Basic " + crypto::base64_encode(merchant_id_ + ":" + api_key_)}}},
        {"the token's stored hash", {{"Authorization", "Bearer " + crypto::sha256_hex(access_token_)}}},
        {"the token plus a character", {{"Authorization", "Bearer " + access_token_ + "x"}}},
        {"the token less its last character", {{"Authorization", "Bearer " + access_token_.substr(0, access_token_.size() - 1)}}},
        {"the api key plus a character", {{"x-api-key", api_key_ + "x"}}},
        {"the api key hashed", {{"x-api-key", crypto::sha256_hex(api_key_)}}},
        {"a wrong x-api-key beside the api key as Bearer", {{"x-api-key", "wrong"}, {"Authorization", "Bearer " + api_key_}}},
    };
    if (auth == Auth::adpos) {
      out.push_back({"a wrong x-api-key beside a valid token", {{"x-api-key", "wrong"}, {"Authorization", "Bearer " + access_token_}}});
    } else {
      // HashDT does not interpret access tokens (docs/api.md): a valid AdPos token is no api key.
      out.push_back({"an AdPos access token", {{"Authorization", "Bearer " + access_token_}}});
    }
    for (const std::string& value : hostile_strings()) {
      if (value.empty()) continue;
      out.push_back({"Bearer " + value.substr(0, 40), {{"Authorization", "Bearer " + value}}});
      out.push_back({"x-api-key " + value.substr(0, 40), {{"x-api-key", value}}});
    }
    return out;
  }

  // The answer to a hostile value in `field` (a body field, header or query parameter):
  // refused (expect_refused); and on AdPos and HashDT routes, in the dialect's error shape,
  // either for the route's blocked_reason or naming the field.
  void expect_field_refused(const Route& route, const std::string& field, const Reply& reply, const std::string& what,
                            bool may_succeed = false) {
    if (route.auth == Auth::sim && route.path == "/sim/v1/authorizations" && reply.status == 201) {
      // Still a valid request (a value the field tolerates): the engine's decision stands.
      EXPECT_EQ(reply.text("status"), "DECLINED") << what << " -> " << reply.body;
      return;
    }
    expect_refused(reply, what, may_succeed);
    if (route.envelope == Envelope::unchecked || reply.status < 400) return;
    expect_error_envelope(route.envelope, reply, what);
    if (!route.blocked_reason.empty() && error_reason(reply) == route.blocked_reason) return;
    EXPECT_TRUE(names_field(route.envelope, reply, field)) << what << ": does not name " << field << " -> " << reply.body;
  }

  // docs/api.md: AdPos {message, reason} (422: plus errors {field: [messages]}); HashDT
  // {status: "Error", message, code: the HTTP status, data: [], reason, field?}.
  static void expect_error_envelope(Envelope envelope, const Reply& reply, const std::string& what) {
    ASSERT_TRUE(reply.json.is_object()) << what << " -> " << reply.body;
    const bj::object& body = reply.json.as_object();
    auto is_string = [&body](std::string_view key) { return body.contains(key) && body.at(key).is_string(); };
    EXPECT_TRUE(is_string("message") && is_string("reason")) << what << " -> " << reply.body;
    if (envelope == Envelope::adpos) {
      if (reply.status != 422) return;
      ASSERT_TRUE(body.contains("errors") && body.at("errors").is_object()) << what << " -> " << reply.body;
      EXPECT_FALSE(body.at("errors").as_object().empty()) << what;
      for (const auto& member : body.at("errors").as_object()) {
        EXPECT_TRUE(member.value().is_array() && !member.value().as_array().empty()) << what << " -> " << reply.body;
      }
      return;
    }
    EXPECT_EQ(body.contains("status") ? body.at("status") : bj::value(), bj::value("Error")) << what << " -> " << reply.body;
    EXPECT_EQ(body.contains("code") ? body.at("code") : bj::value(), bj::value(reply.status)) << what << " -> " << reply.body;
    EXPECT_EQ(body.contains("data") ? body.at("data") : bj::value(), bj::value(bj::array{})) << what << " -> " << reply.body;
  }

  static std::string error_reason(const Reply& reply) {
    if (!reply.json.is_object()) return {};
    const bj::value* reason = reply.json.as_object().if_contains("reason");
    return reason != nullptr && reason->is_string() ? std::string(reason->get_string()) : std::string();
  }

  // AdPos names a field in its 422 `errors`; HashDT in `field`. A hostile x-* header may be
  // reported on another x-* header: together they name one card, and the lookup reports
  // the header it starts from (x-card-id for a card that is not this holder's).
  static bool names_field(Envelope envelope, const Reply& reply, const std::string& field) {
    if (!reply.json.is_object()) return false;
    const bj::object& body = reply.json.as_object();
    if (envelope == Envelope::adpos) {
      const bj::value* errors = body.if_contains("errors");
      return reply.status == 422 && errors != nullptr && errors->is_object() && errors->as_object().contains(field);
    }
    const bj::value* named = body.if_contains("field");
    if (named == nullptr || !named->is_string()) return false;
    const std::string_view name = named->get_string();
    return name == field || (reply.status == 404 && field.starts_with("x-") && name.starts_with("x-"));
  }

  std::string merchant_id_, api_key_, product_, user_id_, card_id_, quota_id_, authorization_id_;
  std::string closed_bin_, open_bin_, access_token_, task_id_, adpos_card_id_, wallet_id_;
  std::unique_ptr<MusePayClient> musepay_;
  int request_counter_ = 0;
};

// Every field of every route, with every hostile value of its kind, in every encoding the
// route reads; every header that names an object, with every hostile string.
TEST_P(HostileInput, FieldsWithHostileValuesAreRefused) {
  const auto before = state();
  int sent = 0;
  for (const Route& route : routes()) {
    for (const Field& field : route.fields) {
      for (const Hostile& value : hostile_values(route, field)) {
        for (const Encoding encoding : route.encodings) {
          const std::string what =
              route.method + " " + route.path + " " + field.name + "=" + value.label + " as " + encoding_name(encoding);
          Reply reply = send_with(route, field.name, value.json, encoding);
          ++sent;
          expect_field_refused(route, field.name, reply, what, route.read_only && field.kind == Kind::filter);
        }
      }
    }
    for (const std::string& header : route.header_fields) {
      for (const std::string& value : hostile_strings()) {
        const std::string what = route.method + " " + route.path + " " + header + ": " + value.substr(0, 40);
        Reply reply = send(route, route.path, bj::serialize(route.body), "application/json", {{header, value}});
        ++sent;
        expect_field_refused(route, header, reply, what);
      }
    }
  }
  std::cout << "[ hostile  ] " << sent << " requests with hostile fields and headers\n";
  expect_unchanged(before);
}

// Hostile ids in paths, and hostile paging parameters in query strings.
TEST_P(HostileInput, HostileIdsInPathsAndQueriesAreRefused) {
  const auto before = state();
  int sent = 0;
  for (const Route& route : routes()) {
    if (route.path_id.empty()) continue;
    for (const std::string& id : hostile_path_ids(route.path_id)) {
      std::string path = route.path;
      path.replace(path.find(route.path_id), route.path_id.size(), url_encode(id));
      Reply reply = send(route, path, bj::serialize(route.body));
      ++sent;
      // The path may no longer match the route (an encoded '/'): the dispatcher's 404 then,
      // in its own shape, so only the status is checked.
      expect_refused(reply, route.method + " " + path.substr(0, 120));
    }
  }
  for (const Route& route : routes()) {
    for (const std::string& param : route.query_params) {
      for (const std::string& value : hostile_query_values()) {
        const std::string target = route.path + "?" + param + "=" + value;
        Reply reply = send(route, target, {});
        ++sent;
        expect_field_refused(route, param, reply, route.method + " " + target);
      }
    }
  }
  std::cout << "[ hostile  ] " << sent << " requests with hostile ids and queries\n";
  expect_unchanged(before);
}

// Bodies that are not JSON objects, on every route that reads a body, sent as JSON and as
// a form (and as multipart where the route reads it).
TEST_P(HostileInput, MalformedBodiesAreRefused) {
  const auto before = state();
  for (const Route& route : routes()) {
    if (!route.reads_body || route.method == "GET") continue;
    std::vector<std::string> content_types{"application/json", "application/x-www-form-urlencoded"};
    if (std::ranges::count(route.encodings, Encoding::multipart) > 0) content_types.push_back(multipart_content_type());
    for (const auto& [body, label] : malformed_bodies()) {
      // An empty body is "{}" for capture and reverse (capture or reverse all that is held).
      if (body.empty() && route.path.starts_with("/sim/v1/authorizations/")) continue;
      for (const std::string& content_type : content_types) {
        const std::string what = route.method + " " + route.path + " with " + label + " as " + content_type;
        Reply reply = send(route, route.path, body, content_type);
        expect_refused(reply, what);
        if (route.envelope != Envelope::unchecked) expect_error_envelope(route.envelope, reply, what);
      }
    }
  }
  expect_unchanged(before);
}

// Forms AdPos must refuse, on each route that reads one: the parser's refusals are 400 for
// the body's own fault (reason malformed_form, form_too_large or duplicate_field), never a
// 422 that would blame a field the client did send, nor a 5xx.
TEST_P(HostileInput, MalformedFormsAreRefused) {
  const auto before = state();
  for (const Route& route : routes()) {
    if (std::ranges::count(route.encodings, Encoding::urlencoded) == 0) continue;
    for (const MalformedForm& form : malformed_forms()) {
      const std::string what = route.method + " " + route.path + " with " + form.label;
      Reply reply = send(route, route.path, form.body, form.content_type);
      EXPECT_EQ(reply.status, form.status) << what << " -> " << reply.body;
      if (reply.status >= 400) expect_error_envelope(route.envelope, reply, what);
      if (reply.status == 400) {
        EXPECT_TRUE(error_reason(reply) == "malformed_form" || error_reason(reply) == "form_too_large" ||
                    error_reason(reply) == "duplicate_field")
            << what << " -> " << reply.body;
      }
    }
  }
  expect_unchanged(before);
}

// Credentials that are not: none, hostile strings as a Bearer token or api key, the stored
// hash of a real access token, a token one character off, Basic auth, an AdPos token where
// HashDT wants an api key, and a wrong x-api-key beside valid credentials (x-api-key
// decides). Each is a 401 in the dialect's shape, on every AdPos and HashDT route.
TEST_P(HostileInput, BadCredentialsAreRefused) {
  const auto before = state();
  for (const Route& route : routes()) {
    if (route.auth != Auth::adpos && route.auth != Auth::hashdt) continue;
    for (const auto& [label, credentials] : bad_credentials(route.auth)) {
      Headers headers = headers_for(route, /*with_credentials=*/false);
      headers.insert(headers.end(), credentials.begin(), credentials.end());
      const std::string what = route.method + " " + route.path + " with " + label;
      Reply reply = call(route.method, route.path, route.method == "GET" ? std::string() : bj::serialize(route.body),
                         headers);
      EXPECT_EQ(reply.status, 401) << what << " -> " << reply.body;
      expect_error_envelope(route.envelope, reply, what);
      EXPECT_EQ(error_reason(reply), "unauthenticated") << what << " -> " << reply.body;
    }
  }
  expect_unchanged(before);
}

// An id holding a NUL character ("a\u0000b" in JSON, %00 in a form) names no object, and
// text holding one is not stored: 404 or 400 (or the route's blocked refusal), never 500.
// (PostgreSQL text cannot hold NUL: its driver refuses such a value as invalid input.)
TEST_P(HostileInput, NulInIdsIsNotAServerError) {
  const auto before = state();
  const std::string nul_id = bj::serialize(bj::value(std::string("a\0b", 3)));
  for (const Route& route : routes()) {
    for (const Field& field : route.fields) {
      if (field.kind != Kind::id && field.kind != Kind::stored_text) continue;
      for (const Encoding encoding : route.encodings) {
        Reply reply = send_with(route, field.name, nul_id, encoding);
        const std::string what =
            route.method + " " + route.path + " " + field.name + " with a NUL as " + encoding_name(encoding);
        expect_field_refused(route, field.name, reply, what);
      }
    }
  }
  expect_unchanged(before);
}

// AdPos text with a NUL ("a\u0000b" in JSON, a%00b in a form): refused naming the field, or
// accepted and carried out. Never accepted and then stuck, and never refused blaming "body".
TEST_P(HostileInput, NulInAdposTextIsRefusedOrCompletes) {
  // Found by this suite: on PostgreSQL a username with a NUL was accepted and its task then
  // stayed pending for ever (the job could not store it), and a request_id with a NUL was
  // refused naming "body". AdPos's text fields now refuse NUL themselves.
  const std::string nul_text = bj::serialize(bj::value(std::string("a\0b", 3)));
  const std::vector<Route> adpos = adpos_routes();
  const auto found = std::ranges::find(adpos, std::string("insufficient_balance"), &Route::blocked_reason);
  ASSERT_NE(found, adpos.end());
  const Route& costly = *found;
  for (const Encoding encoding : costly.encodings) {
    Reply reply = send_with(costly, "request_id", nul_text, encoding);
    expect_field_refused(costly, "request_id", reply, std::string("request_id with a NUL as ") + encoding_name(encoding));
  }
  const bj::object shared{{"num", 1}, {"card_bin", open_bin_}, {"card_type", "shared"}};
  for (const Encoding encoding : costly.encodings) {
    const std::string what = std::string("username with a NUL as ") + encoding_name(encoding);
    const EncodedBody body = encode_with(shared, "username", nul_text, encoding);
    Reply reply = call("POST", "/cards/apply", body.text, credentials_for(Auth::adpos), body.content_type);
    if (reply.status != 200) {
      expect_field_refused(costly, "username", reply, what);
      continue;
    }
    const std::string task = std::to_string(reply["task_id"].as_int64());
    Reply settled;
    EXPECT_TRUE(eventually([&] {
      settled = call("GET", "/cards/tasks/" + task, {}, credentials_for(Auth::adpos));
      return settled.status == 200 && settled.text("status") != "pending";
    }, 15s)) << what << ": the task is still pending: " << settled.body;
  }
}

// What a client library would never send: each gets a 4xx or a closed connection.
TEST_P(HostileInput, TransportAbuseIsRefusedOrClosed) {
  const auto before = state();
  // A 10 MB body (the limit is 1 MiB).
  {
    const std::string huge(10 * 1024 * 1024, 'x');
    for (const auto& [path, auth] : std::vector<std::pair<std::string, Auth>>{
             {"/admin/v1/merchants", Auth::admin}, {"/v1/card/query", Auth::merchant}, {"/sim/v1/authorizations", Auth::sim},
             {"/cards/apply", Auth::adpos}, {"/issuing/api/v1/cardholder", Auth::hashdt}}) {
      http::Client client = server_->client();
      auto response = client.request("POST", path, credentials_for(auth), "{\"a\":\"" + huge + "\"}");
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
    // A decline took effect (it is an answer to replay): only its idempotency key is new.
    expect_unchanged(before, /*with_idempotency_keys=*/false);
  }
}

ISSUERD_E2E_SUITE(HostileInput);

}  // namespace
}  // namespace issuerd::e2e
