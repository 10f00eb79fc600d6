// A small synchronous HTTP/1.1 client (Boost.Beast) for issuerctl and the test suites.
// One keep-alive connection, reconnected when the server closed it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace issuerd::http {

struct ClientResponse {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string header(const std::string& lowercase_name) const;  // "" when absent
};

class Client {
 public:
  Client(std::string host, std::uint16_t port, std::uint32_t timeout_ms = 30000);
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  // Sends one request. unavailable on connect/read/write failure or timeout.
  Result<ClientResponse> request(const std::string& method, const std::string& target,
                                 const std::vector<std::pair<std::string, std::string>>& headers,
                                 const std::string& body = {},
                                 const std::string& content_type = "application/json");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Splits "http://host:port" or "host:port" into its parts; invalid_argument otherwise.
Result<std::pair<std::string, std::uint16_t>> parse_host_port(const std::string& text);

}  // namespace issuerd::http
