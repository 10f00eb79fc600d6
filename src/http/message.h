// The request and response as the rest of issuerd sees them: plain values, no Beast types,
// so api/ and the router never include Boost.Beast.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace issuerd::http {

struct Request {
  std::string method;          // "GET", "POST", ... as sent
  std::string target;          // path and query as sent, e.g. "/cards?page=2"
  std::string path;            // percent-decoded path without the query, e.g. "/cards"
  std::string query;           // raw query string without '?', may be empty
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  std::string remote_address;  // peer IP as text ("127.0.0.1", "::1")
  std::string request_id;      // X-Request-Id if the client sent a sane one, else generated

  // First header with this (lowercase) name, if any.
  std::optional<std::string_view> header(std::string_view lowercase_name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // Optional: makes `body` where the response is sent, on the connection's I/O thread, so
  // that the writer's thread hands over what an answer is made of rather than its text (the
  // simulator's authorizations). Whatever reads `body` before the server does calls
  // finish_body() first.
  std::function<std::string()> body_maker = nullptr;

  void finish_body();  // runs body_maker, if any, into body
};

// Called exactly once per request, from any thread; the server writes the response on the
// connection's own strand.
using Responder = std::function<void(Response)>;
// Runs on a server I/O thread. It must not block for long: work that waits on the writer
// hands the Responder over and returns.
using Handler = std::function<void(Request, Responder)>;

}  // namespace issuerd::http
