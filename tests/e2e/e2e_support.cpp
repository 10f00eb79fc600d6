#include "e2e_support.h"

#include <cctype>

#include "storage/store.h"

namespace issuerd::e2e {

std::string url_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out += {'%', hex[u >> 4], hex[u & 15]};
    }
  }
  return out;
}

std::string urlencoded(const FormFields& fields) {
  std::string body;
  for (const auto& [name, value] : fields) body += (body.empty() ? "" : "&") + url_encode(name) + "=" + url_encode(value);
  return body;
}

std::string multipart(const FormFields& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    body += std::string("--") + multipart_boundary + "\r\nContent-Disposition: form-data; name=\"" + name +
            "\"\r\n\r\n" + value + "\r\n";
  }
  return body + "--" + multipart_boundary + "--\r\n";
}

std::string multipart_content_type() { return std::string("multipart/form-data; boundary=") + multipart_boundary; }

std::string dialect_test_name(const ::testing::TestParamInfo<storage::Dialect>& info) {
  return testing::dialect_name(info.param);
}

testing::ServerOptions E2eTest::server_options() {
  testing::ServerOptions options;
  options.database_url = database_->url();
  options.extra_args = extra_server_args_;
  return options;
}

void E2eTest::SetUp() {
  database_ = std::make_unique<testing::TestDatabase>(GetParam());
  server_ = std::make_unique<testing::ServerProcess>(server_options());
  client_ = std::make_unique<http::Client>(server_->client());
}

void E2eTest::TearDown() {
  if (server_ && server_->running()) {
    expect_ledger_invariants();
    // The server survived whatever the test sent it.
    EXPECT_EQ(call("GET", "/healthz").status, 200);
  }
  client_.reset();
  server_.reset();
  database_.reset();
}

Reply E2eTest::call(const std::string& method, const std::string& target, const std::string& body, Headers headers,
                    const std::string& content_type) {
  auto response = client_->request(method, target, headers, body, content_type);
  EXPECT_TRUE(response.ok()) << method << " " << target << ": " << (response.ok() ? "" : response.error().message);
  Reply reply;
  if (!response.ok()) return reply;
  reply.status = response->status;
  reply.body = response->body;
  reply.content_type = response->header("content-type");
  boost::system::error_code ec;
  reply.json = bj::parse(reply.body, ec);
  if (ec) reply.json = nullptr;
  return reply;
}

Reply E2eTest::admin(const std::string& method, const std::string& target, const std::string& body, Headers headers) {
  headers.emplace_back("Authorization", "Bearer " + server_->admin_token());
  return call(method, target, body, std::move(headers));
}

std::pair<std::string, std::string> E2eTest::create_merchant(const std::string& name) {
  Reply reply = admin("POST", "/admin/v1/merchants", bj::serialize(bj::object{{"name", name}}));
  EXPECT_EQ(reply.status, 201) << reply.body;
  if (reply.status != 201) return {};
  return {reply.text("merchant_id"), reply.text("api_key")};
}

void E2eTest::deposit(const std::string& merchant_id, const std::string& amount, const std::string& currency) {
  static int counter = 0;
  Reply reply = admin("POST", "/admin/v1/merchants/" + merchant_id + "/deposits",
                      bj::serialize(bj::object{{"amount", amount}, {"currency", currency}}),
                      {{"Idempotency-Key", "fixture-deposit-" + std::to_string(++counter)}});
  EXPECT_EQ(reply.status, 201) << reply.body;
}

std::string E2eTest::create_product(const std::string& currency, const std::string& form, const std::string& bin) {
  Reply reply = admin("POST", "/admin/v1/card-products",
                      bj::serialize(bj::object{{"name", "Test " + form + " " + currency}, {"bin", bin},
                                               {"network", bin[0] == '4' ? "visa" : "mastercard"},
                                               {"currency", currency}, {"card_level", "1"}, {"form", form}}));
  EXPECT_EQ(reply.status, 201) << reply.body;
  return reply.status == 201 ? reply.text("card_product_id") : std::string();
}

std::string E2eTest::main_balance(const std::string& merchant_id, const std::string& currency) {
  Reply reply = admin("GET", "/admin/v1/merchants/" + merchant_id);
  EXPECT_EQ(reply.status, 200) << reply.body;
  if (reply.status != 200) return "?";
  for (const auto& balance : reply["balances"].as_array()) {
    if (balance.at("currency").as_string() == currency) return std::string(balance.at("balance").as_string());
  }
  return "0.00";
}

void E2eTest::expect_ledger_invariants() {
  Reply reply = admin("GET", "/admin/v1/ledger/invariants");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_TRUE(reply["ok"].as_bool()) << reply.body;
  // And straight from the database, not trusting the server's own report.
  auto connection = database_->connect();
  storage::Store store(*connection);
  auto totals = store.balance_totals_by_currency();
  ASSERT_TRUE(totals.ok());
  for (const auto& total : *totals) EXPECT_EQ(total.balance_sum_minor, 0) << total.currency;
  EXPECT_EQ(*store.count_forbidden_negative_accounts(), 0);
  EXPECT_EQ(*store.count_accounts_disagreeing_with_transfers(), 0);
  EXPECT_EQ(*store.count_transfers_with_unknown_accounts(), 0);
}

}  // namespace issuerd::e2e
