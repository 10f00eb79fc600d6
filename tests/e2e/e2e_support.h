// The end-to-end fixture: a real build/issuerd on a fresh database (each engine under
// test), a client over loopback, and the ledger invariants checked after every test.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "http/client.h"
#include "support/server_process.h"
#include "support/test_database.h"

namespace issuerd::e2e {

namespace bj = boost::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

// Form bodies as a client sends them (AdPos takes urlencoded and multipart/form-data).
using FormFields = std::vector<std::pair<std::string, std::string>>;
inline constexpr const char* multipart_boundary = "----issuerdAdposBoundary7MA4YWxkTrZu0gW";
// Percent-encodes everything but RFC 3986's unreserved characters.
std::string url_encode(std::string_view text);
std::string urlencoded(const FormFields& fields);
std::string multipart(const FormFields& fields);
// "multipart/form-data; boundary=<multipart_boundary>".
std::string multipart_content_type();

struct Reply {
  int status = 0;
  std::string body;
  std::string content_type;
  bj::value json;  // null when the body is not JSON
  const bj::value& operator[](std::string_view key) const { return json.as_object().at(key); }
  std::string text(std::string_view key) const { return std::string(json.as_object().at(key).as_string()); }
};

class E2eTest : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Options for the server; override before SetUp by setting in the constructor.
  testing::ServerOptions server_options();

  Reply call(const std::string& method, const std::string& target, const std::string& body = {},
             Headers headers = {}, const std::string& content_type = "application/json");
  Reply admin(const std::string& method, const std::string& target, const std::string& body = {},
              Headers headers = {});

 public:
  // For helpers such as MusePayClient that act on behalf of a test.
  Reply call_public(const std::string& method, const std::string& target, const std::string& body, Headers headers) {
    return call(method, target, body, std::move(headers));
  }
  // Creates a card product (Visa 424242 virtual USD unless given) open to every merchant.
  std::string create_product(const std::string& currency = "USD", const std::string& form = "virtual",
                             const std::string& bin = "424242");

 protected:

  // Creates a merchant through the admin API; returns {merchant_id, api_key}.
  std::pair<std::string, std::string> create_merchant(const std::string& name = "Acme");
  void deposit(const std::string& merchant_id, const std::string& amount, const std::string& currency = "USD");
  // The merchant's main-account balance as text ("0.00" if it has no account yet).
  std::string main_balance(const std::string& merchant_id, const std::string& currency = "USD");

  // Asserts the ledger invariants through the admin API and directly in the database.
  void expect_ledger_invariants();

  std::unique_ptr<testing::TestDatabase> database_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::unique_ptr<http::Client> client_;
  std::vector<std::string> extra_server_args_;
};

std::string dialect_test_name(const ::testing::TestParamInfo<storage::Dialect>& info);

#define ISSUERD_E2E_SUITE(Fixture)                                                            \
  INSTANTIATE_TEST_SUITE_P(Databases, Fixture, ::testing::ValuesIn(testing::dialects_under_test()), \
                           issuerd::e2e::dialect_test_name)

}  // namespace issuerd::e2e
