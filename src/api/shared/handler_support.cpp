#include "api/shared/handler_support.h"

#include <charconv>

#include <boost/json/serialize.hpp>

#include "crypto/hashing.h"
#include "http/query.h"

namespace issuerd::api {

http::Response json_response(int status, const boost::json::value& body) {
  return json_text_response(status, boost::json::serialize(body));
}

http::Response json_response(int status, const boost::json::object& body) {
  return json_text_response(status, boost::json::serialize(body));
}

http::Response json_text_response(int status, std::string body) {
  return http::Response{status, "application/json", std::move(body), {}};
}

namespace {

std::string bearer_token(const http::Request& request) {
  auto header = request.header("authorization");
  if (!header) return {};
  constexpr std::string_view prefix = "Bearer ";
  if (header->size() <= prefix.size() || header->substr(0, prefix.size()) != prefix) return {};
  return std::string(header->substr(prefix.size()));
}

Error unauthenticated(std::string message) {
  return make_error(ErrorKind::unauthenticated, "unauthenticated", std::move(message));
}

}  // namespace

Status authenticate_admin(const Services& services, const http::Request& request) {
  const std::string token = bearer_token(request);
  if (token.empty()) return unauthenticated("send the admin token as Authorization: Bearer <token>");
  if (!crypto::constant_time_equal(crypto::sha256_hex(token), services.admin_token_sha256_hex)) {
    return unauthenticated("the admin token is not valid");
  }
  return Status::success();
}

std::string presented_api_key(const http::Request& request) {
  if (auto header = request.header("x-api-key"); header && !header->empty()) return std::string(*header);
  return bearer_token(request);
}

Result<storage::MerchantRecord> authenticate_merchant(Services& services, const http::Request& request) {
  const std::string api_key = presented_api_key(request);
  if (api_key.empty()) return unauthenticated("send the api key as x-api-key or Authorization: Bearer");
  const std::string key_hash = crypto::sha256_hex(api_key);
  std::optional<storage::MerchantRecord> merchant = services.merchants->find(key_hash);
  if (!merchant) {
    ISSUERD_ASSIGN(merchant, services.readers.with_store(
                                 [&](storage::Store& store) { return store.find_merchant_by_api_key_hash(key_hash); }));
    if (merchant) services.merchants->remember(key_hash, *merchant);
  }
  if (!merchant || merchant->status != "active") return unauthenticated("the api key is not valid");
  return std::move(*merchant);
}

Result<json::Page> read_page(std::string_view query, std::string_view page_name, std::string_view size_name,
                             std::int64_t size_default, std::int64_t size_max) {
  auto read = [&](std::string_view name, std::int64_t fallback, std::int64_t max) -> Result<std::int64_t> {
    auto text = http::query_param(query, name);
    if (!text || text->empty()) return fallback;
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc() || end != text->data() + text->size() || value < 1 || value > max) {
      return make_error(ErrorKind::invalid_argument, "invalid_page",
                        std::string(name) + " must be a whole number from 1 to " + std::to_string(max),
                        std::string(name));
    }
    return value;
  };
  ISSUERD_ASSIGN(std::int64_t number, read(page_name, 1, 1'000'000'000));
  ISSUERD_ASSIGN(std::int64_t size, read(size_name, size_default, size_max));
  return json::Page{number, size};
}

std::string new_api_key() { return "isk_" + crypto::random_token(32); }

}  // namespace issuerd::api
