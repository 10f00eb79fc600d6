#include "test_database.h"

#include <stdlib.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "storage/migrations.h"

namespace issuerd::testing {

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string postgres_base_url() { return env("ISSUERD_TEST_POSTGRES_URL"); }
bool postgres_required() { return env("ISSUERD_TEST_REQUIRE_POSTGRES") == "1"; }

// Connects to the server's base URL (its maintenance database).
Result<std::unique_ptr<storage::Connection>> connect_base() {
  const std::string base = postgres_base_url();
  if (base.empty()) {
    return make_error(ErrorKind::unavailable, "database_unavailable",
                      "ISSUERD_TEST_POSTGRES_URL is not set");
  }
  ISSUERD_ASSIGN(storage::DatabaseUrl url, storage::parse_database_url(base));
  if (url.dialect != storage::Dialect::postgres) {
    return make_error(ErrorKind::invalid_argument, "invalid_database_url",
                      "ISSUERD_TEST_POSTGRES_URL must be a postgresql:// URL");
  }
  return storage::open_connection(url);
}

// Probed once per process: is the PostgreSQL test server reachable?
bool postgres_reachable() {
  static const bool reachable = [] {
    auto connection = connect_base();
    if (!connection.ok()) {
      std::fprintf(stderr, "test_database: PostgreSQL not used: %s\n",
                   connection.error().message.c_str());
    }
    return connection.ok();
  }();
  return reachable;
}

std::string random_hex(std::size_t bytes) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::random_device device;
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    const unsigned int value = device() & 0xffu;
    out += kDigits[value >> 4];
    out += kDigits[value & 0xfu];
  }
  return out;
}

// postgresql://AUTHORITY/DBNAME?QUERY  ->  postgresql://AUTHORITY/<database>?QUERY
std::string with_database(const std::string& base, const std::string& database) {
  const std::size_t scheme_end = base.find("://");
  if (scheme_end == std::string::npos) throw std::runtime_error("malformed PostgreSQL URL");
  const std::size_t authority_start = scheme_end + 3;
  const std::size_t authority_end = base.find_first_of("/?#", authority_start);
  const std::string head = base.substr(0, authority_end == std::string::npos ? base.size() : authority_end);
  std::string tail;
  if (authority_end != std::string::npos) {
    std::size_t path_end = authority_end;
    if (base[authority_end] == '/') path_end = base.find_first_of("?#", authority_end);
    if (path_end != std::string::npos) tail = base.substr(path_end);
  }
  return head + "/" + database + tail;
}

}  // namespace

std::vector<storage::Dialect> dialects_under_test() {
  std::vector<storage::Dialect> dialects{storage::Dialect::sqlite};
  if (postgres_required()) {
    // Included even when missing or unreachable, so that the suites fail loudly.
    dialects.push_back(storage::Dialect::postgres);
  } else if (!postgres_base_url().empty() && postgres_reachable()) {
    dialects.push_back(storage::Dialect::postgres);
  }
  return dialects;
}

std::string dialect_name(storage::Dialect dialect) {
  return dialect == storage::Dialect::postgres ? "postgres" : "sqlite";
}

TestDatabase::TestDatabase(storage::Dialect dialect) : dialect_(dialect) {
  if (dialect == storage::Dialect::sqlite) {
    const std::filesystem::path temp = std::filesystem::temp_directory_path() / "issuerd-test-XXXXXX";
    std::string pattern = temp.string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("TestDatabase: mkdtemp failed for " + pattern);
    }
    directory_ = pattern;
    url_ = "sqlite:" + directory_ + "/issuerd.db";
    return;
  }

  auto base = connect_base();
  if (!base.ok()) {
    throw std::runtime_error("TestDatabase: the PostgreSQL test server is not reachable "
                             "(ISSUERD_TEST_POSTGRES_URL): " + base.error().message);
  }
  postgres_database_name_ = "issuerd_test_" + random_hex(8);
  Status created = (*base)->execute_script("CREATE DATABASE " + postgres_database_name_);
  if (!created.ok()) {
    const std::string message = created.error().message;
    postgres_database_name_.clear();
    throw std::runtime_error("TestDatabase: CREATE DATABASE failed: " + message);
  }
  url_ = with_database(postgres_base_url(), postgres_database_name_);
}

TestDatabase::~TestDatabase() {
  if (dialect_ == storage::Dialect::sqlite) {
    if (!directory_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(directory_, ec);
    }
    return;
  }
  if (postgres_database_name_.empty()) return;
  auto base = connect_base();
  if (!base.ok()) {
    std::fprintf(stderr, "TestDatabase: cannot drop %s: %s\n", postgres_database_name_.c_str(),
                 base.error().message.c_str());
    return;
  }
  Status dropped =
      (*base)->execute_script("DROP DATABASE IF EXISTS " + postgres_database_name_ + " WITH (FORCE)");
  if (!dropped.ok()) {
    std::fprintf(stderr, "TestDatabase: DROP DATABASE %s failed: %s\n",
                 postgres_database_name_.c_str(), dropped.error().message.c_str());
  }
}

std::unique_ptr<storage::Connection> TestDatabase::connect() const {
  auto url = storage::parse_database_url(url_);
  if (!url.ok()) throw std::runtime_error("TestDatabase::connect: " + url.error().message);
  auto connection = storage::open_connection(*url);
  if (!connection.ok()) {
    // Thrown rather than aborted so that gtest reports it as this test's failure.
    throw std::runtime_error("TestDatabase::connect: " + connection.error().message);
  }
  return std::move(connection).value();
}

std::unique_ptr<storage::Connection> TestDatabase::connect_migrated() const {
  auto connection = connect();
  auto version = storage::migrate(*connection);
  if (!version.ok()) throw std::runtime_error("TestDatabase::connect_migrated: " + version.error().message);
  return connection;
}

std::unique_ptr<storage::Connection> TestDatabase::connect_migrated_before(int version) const {
  auto connection = connect();
  auto reached = storage::migrate(*connection, version);
  if (!reached.ok()) throw std::runtime_error("TestDatabase::connect_migrated_before: " + reached.error().message);
  return connection;
}

}  // namespace issuerd::testing
