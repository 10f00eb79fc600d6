// The client against the real server (reconnects, timeouts) and parse_host_port.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "http/client.h"
#include "http/server.h"
#include "http_test_support.h"

namespace issuerd::http {
namespace {

using namespace std::chrono_literals;
using test::loopback_config;
using test::RunningServer;

TEST(HttpClient, ReconnectsWhenTheServerClosedTheKeptAliveConnection) {
  auto config = loopback_config();
  config.limits.idle_timeout_ms = 100;
  RunningServer server(config, [](Request request, Responder respond) {
    respond(Response{200, "text/plain", request.method + " " + request.path, {}});
  });
  Client client("127.0.0.1", server.port(), 5000);
  auto first = client.request("GET", "/one", {});
  ASSERT_TRUE(first.ok()) << first.error().message;
  std::this_thread::sleep_for(400ms);  // the server drops the idle connection
  auto second = client.request("POST", "/two", {}, "x");
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->body, "POST /two");
}

TEST(HttpClient, ReconnectsAfterConnectionClose) {
  RunningServer server(loopback_config(), [](Request request, Responder respond) {
    Response response{200, "text/plain", request.path, {}};
    respond(std::move(response));
  });
  Client client("127.0.0.1", server.port(), 5000);
  for (int i = 0; i < 3; ++i) {
    auto result = client.request("GET", "/close/" + std::to_string(i), {{"Connection", "close"}});
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->body, "/close/" + std::to_string(i));
  }
}

TEST(HttpClient, SendsContentTypeAndLengthOnlyWithABody) {
  std::mutex mutex;
  std::vector<Request> seen;
  RunningServer server(loopback_config(), [&](Request request, Responder respond) {
    {
      std::lock_guard lock(mutex);
      seen.push_back(request);
    }
    respond(Response{});
  });
  Client client("127.0.0.1", server.port(), 5000);
  ASSERT_TRUE(client.request("GET", "/g", {}).ok());
  ASSERT_TRUE(client.request("POST", "/p", {{"Authorization", "Bearer t"}}, R"({"a":1})").ok());
  ASSERT_TRUE(client.request("DELETE", "/d", {}).ok());
  std::lock_guard lock(mutex);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_FALSE(seen[0].header("content-type").has_value());
  EXPECT_FALSE(seen[0].header("content-length").has_value());
  EXPECT_EQ(seen[1].header("content-type").value_or(""), "application/json");
  EXPECT_EQ(seen[1].header("content-length").value_or(""), "7");
  EXPECT_EQ(seen[1].header("authorization").value_or(""), "Bearer t");
  EXPECT_EQ(seen[1].body, R"({"a":1})");
  EXPECT_EQ(seen[2].method, "DELETE");
}

TEST(HttpClient, TimesOutWhenTheServerDoesNotAnswer) {
  std::mutex mutex;
  std::optional<Responder> parked;
  {
    RunningServer server(loopback_config(), [&](Request, Responder respond) {
      std::lock_guard lock(mutex);
      parked = std::move(respond);
    });
    Client client("127.0.0.1", server.port(), 300);
    const auto started = std::chrono::steady_clock::now();
    auto result = client.request("GET", "/never", {});
    const auto took = std::chrono::steady_clock::now() - started;
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::unavailable);
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 3s);
    std::lock_guard lock(mutex);
    parked.reset();  // before the server goes away
  }
}

TEST(HttpClient, ConnectFailureIsUnavailable) {
  std::uint16_t port = 0;
  {
    RunningServer server(loopback_config(), [](Request, Responder respond) { respond(Response{}); });
    port = server.port();
  }
  Client client("127.0.0.1", port, 1000);
  auto result = client.request("GET", "/", {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::unavailable);
}

TEST(HttpClient, MovedClientKeepsWorking) {
  RunningServer server(loopback_config(), [](Request request, Responder respond) {
    respond(Response{200, "text/plain", request.path, {}});
  });
  Client original("127.0.0.1", server.port(), 5000);
  ASSERT_TRUE(original.request("GET", "/a", {}).ok());
  Client moved(std::move(original));
  auto result = moved.request("GET", "/b", {});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->body, "/b");
}

TEST(HttpClient, ParseHostPort) {
  auto full = parse_host_port("http://127.0.0.1:8080");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->first, "127.0.0.1");
  EXPECT_EQ(full->second, 8080);

  auto bare = parse_host_port("127.0.0.1:8080");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->first, "127.0.0.1");
  EXPECT_EQ(bare->second, 8080);

  auto named = parse_host_port("localhost:80");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->first, "localhost");
  EXPECT_EQ(named->second, 80);

  auto slash = parse_host_port("http://example.test:9000/");
  ASSERT_TRUE(slash.ok());
  EXPECT_EQ(slash->second, 9000);

  auto default_port = parse_host_port("http://example.test");
  ASSERT_TRUE(default_port.ok());
  EXPECT_EQ(default_port->second, 80);

  auto v6 = parse_host_port("http://[::1]:8443");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->first, "::1");
  EXPECT_EQ(v6->second, 8443);

  for (const char* bad : {"", "127.0.0.1", "http://", "https://h:1", "h:", "h:0", "h:65536",
                          "h:12ab", ":80", "http://h:80/path", "::1:80", "ftp://h:1"}) {
    auto result = parse_host_port(bad);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.error().kind, ErrorKind::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace issuerd::http
