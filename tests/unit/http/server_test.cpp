// The server over real loopback sockets: request building, keep-alive, asynchronous
// responders, limits, timeouts, connection cap, concurrency, stop().
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "http/client.h"
#include "http/server.h"
#include "http_test_support.h"

namespace issuerd::http {
namespace {

using namespace std::chrono_literals;
using test::loopback_config;
using test::RawConnection;
using test::RunningServer;
using test::status_of;

bool is_hex16(const std::string& text) {
  if (text.size() != 16) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Answers every request with 200 and the path as the body.
Handler path_echo() {
  return [](Request request, Responder respond) {
    Response response;
    response.content_type = "text/plain";
    response.body = request.path;
    respond(std::move(response));
  };
}

std::string simple_get(const std::string& path, const std::string& extra_headers = {}) {
  return "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + extra_headers + "\r\n";
}

TEST(HttpServer, RoundTripBuildsTheRequestAndTheResponse) {
  std::mutex mutex;
  Request seen;
  RunningServer server(loopback_config(), [&](Request request, Responder respond) {
    {
      std::lock_guard lock(mutex);
      seen = request;
    }
    Response response;
    response.status = 201;
    response.content_type = "application/json; charset=utf-8";
    response.body = R"({"ok":true})";
    response.headers.emplace_back("X-Extra", "yes");
    response.headers.emplace_back("Bad\r\nHeader", "injected");
    response.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: b");
    respond(std::move(response));
  });

  Client client("127.0.0.1", server.port(), 5000);
  auto result = client.request("POST", "/v1/a%20b/c%2Fd?x=1&y=%20z",
                               {{"X-Custom", "Value 1"}, {"X-Request-Id", "abc-123.X_y"}},
                               "hello body", "text/plain");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->status, 201);
  EXPECT_EQ(result->body, R"({"ok":true})");
  EXPECT_EQ(result->header("content-type"), "application/json; charset=utf-8");
  EXPECT_EQ(result->header("content-length"), "11");
  EXPECT_EQ(result->header("server"), "issuerd");
  EXPECT_EQ(result->header("x-request-id"), "abc-123.X_y");
  EXPECT_EQ(result->header("x-extra"), "yes");
  EXPECT_EQ(result->header("x-evil"), "");
  EXPECT_EQ(result->header("set-cookie"), "");

  std::lock_guard lock(mutex);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/v1/a%20b/c%2Fd?x=1&y=%20z");
  EXPECT_EQ(seen.path, "/v1/a b/c/d");
  EXPECT_EQ(seen.query, "x=1&y=%20z");
  EXPECT_EQ(seen.body, "hello body");
  EXPECT_EQ(seen.remote_address, "127.0.0.1");
  EXPECT_EQ(seen.request_id, "abc-123.X_y");
  ASSERT_TRUE(seen.header("x-custom").has_value());
  EXPECT_EQ(*seen.header("x-custom"), "Value 1");
  EXPECT_EQ(*seen.header("content-type"), "text/plain");
  EXPECT_EQ(*seen.header("host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_FALSE(seen.header("X-Custom").has_value()) << "names are lowercase";
  for (const auto& [name, value] : seen.headers) {
    for (char c : name) EXPECT_FALSE(c >= 'A' && c <= 'Z') << name;
  }
}

TEST(HttpServer, GeneratesARequestIdWhenTheClientSentNoneOrAnInsaneOne) {
  std::mutex mutex;
  std::vector<std::string> ids;
  RunningServer server(loopback_config(), [&](Request request, Responder respond) {
    {
      std::lock_guard lock(mutex);
      ids.push_back(request.request_id);
    }
    respond(Response{});
  });
  Client client("127.0.0.1", server.port(), 5000);
  const std::vector<std::vector<std::pair<std::string, std::string>>> header_sets = {
      {}, {{"X-Request-Id", "has space"}}, {{"X-Request-Id", std::string(65, 'a')}},
      {{"X-Request-Id", ""}}, {{"X-Request-Id", "semi;colon"}}};
  std::vector<std::string> echoed;
  for (const auto& headers : header_sets) {
    auto result = client.request("GET", "/", headers);
    ASSERT_TRUE(result.ok()) << result.error().message;
    echoed.push_back(result->header("x-request-id"));
  }
  auto longest = client.request("GET", "/", {{"X-Request-Id", std::string(64, 'z')}});
  ASSERT_TRUE(longest.ok());
  EXPECT_EQ(longest->header("x-request-id"), std::string(64, 'z'));

  std::lock_guard lock(mutex);
  ASSERT_EQ(ids.size(), header_sets.size() + 1);
  for (std::size_t i = 0; i < header_sets.size(); ++i) {
    EXPECT_TRUE(is_hex16(ids[i])) << ids[i];
    EXPECT_EQ(echoed[i], ids[i]);
    for (std::size_t j = 0; j < i; ++j) EXPECT_NE(ids[i], ids[j]);
  }
}

TEST(HttpServer, KeepAliveServesManyRequestsOnOneConnection) {
  RunningServer server(loopback_config(), path_echo());
  RawConnection connection(server.port());
  for (int i = 0; i < 100; ++i) {
    const std::string path = "/item/" + std::to_string(i);
    ASSERT_TRUE(connection.send(simple_get(path)));
    auto response = connection.read_response();
    ASSERT_TRUE(response.has_value()) << "request " << i;
    EXPECT_EQ(status_of(*response), 200);
    EXPECT_EQ(test::body_of(*response), path);
    EXPECT_EQ(RawConnection::lowercase(*response).find("connection: close"), std::string::npos);
  }
  // And the Client keeps its one connection working for 100 requests.
  Client client("127.0.0.1", server.port(), 5000);
  for (int i = 0; i < 100; ++i) {
    auto result = client.request("GET", "/c/" + std::to_string(i), {});
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->body, "/c/" + std::to_string(i));
  }
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
  RunningServer server(loopback_config(), path_echo());
  RawConnection connection(server.port());
  ASSERT_TRUE(connection.send(simple_get("/one") + simple_get("/two") + simple_get("/three")));
  for (const char* path : {"/one", "/two", "/three"}) {
    auto response = connection.read_response();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(test::body_of(*response), path);
  }
}

TEST(HttpServer, ConnectionCloseRequestClosesAfterTheResponse) {
  RunningServer server(loopback_config(), path_echo());
  RawConnection connection(server.port());
  ASSERT_TRUE(connection.send(simple_get("/bye", "Connection: close\r\n")));
  const std::string all = connection.read_until_close();
  EXPECT_EQ(status_of(all), 200);
  EXPECT_EQ(test::body_of(all), "/bye");
  EXPECT_TRUE(connection.closed_within(100ms));
}

TEST(HttpServer, ResponderMayBeCalledLaterFromAnotherThread) {
  std::mutex mutex;
  std::vector<std::thread> workers;
  RunningServer server(loopback_config(), [&](Request request, Responder respond) {
    if (request.path == "/fast") {
      respond(Response{200, "text/plain", "fast", {}});
      return;
    }
    std::lock_guard lock(mutex);
    workers.emplace_back([respond = std::move(respond)]() mutable {
      std::this_thread::sleep_for(600ms);
      respond(Response{202, "text/plain", "late", {}});
    });
  });

  auto slow = std::async(std::launch::async, [&] {
    Client client("127.0.0.1", server.port(), 5000);
    const auto started = std::chrono::steady_clock::now();
    auto result = client.request("GET", "/slow", {});
    return std::make_pair(std::move(result), std::chrono::steady_clock::now() - started);
  });
  std::this_thread::sleep_for(50ms);
  // While the slow request waits, the I/O threads are free for others.
  Client client("127.0.0.1", server.port(), 5000);
  const auto started = std::chrono::steady_clock::now();
  auto fast = client.request("GET", "/fast", {});
  const auto fast_took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(fast.ok());
  EXPECT_EQ(fast->body, "fast");
  EXPECT_LT(fast_took, 400ms) << "the waiting request must not block others";

  auto [result, took] = slow.get();
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->status, 202);
  EXPECT_EQ(result->body, "late");
  EXPECT_GE(took, 550ms);
  std::lock_guard lock(mutex);
  for (auto& worker : workers) worker.join();
}

// A body left to be made (Response::body_maker) is made by the server's I/O thread, not by
// the thread that answered, and sent with its length.
TEST(HttpServer, ABodyLeftToBeMadeIsMadeOnTheConnectionsThread) {
  std::thread::id made_on;
  std::thread worker;
  RunningServer server(loopback_config(), [&](Request, Responder respond) {
    worker = std::thread([respond = std::move(respond), &made_on]() mutable {
      Response response{201, "application/json", "", {}};
      response.body_maker = [&made_on] {
        made_on = std::this_thread::get_id();
        return std::string(R"({"made":"later"})");
      };
      respond(std::move(response));
    });
  });
  Client client("127.0.0.1", server.port(), 5000);
  auto result = client.request("POST", "/answer", {}, "{}");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->status, 201);
  EXPECT_EQ(result->body, R"({"made":"later"})");
  const std::thread::id worker_id = worker.get_id();
  worker.join();
  EXPECT_NE(made_on, std::thread::id());
  EXPECT_NE(made_on, worker_id);
}

TEST(HttpServer, SecondResponderCallIsIgnoredAndHandlerExceptionsBecome500) {
  RunningServer server(loopback_config(), [](Request request, Responder respond) {
    if (request.path == "/throw") throw std::runtime_error("boom");
    respond(Response{200, "text/plain", "first", {}});
    respond(Response{500, "text/plain", "second", {}});
  });
  Client client("127.0.0.1", server.port(), 5000);
  for (int i = 0; i < 3; ++i) {
    auto twice = client.request("GET", "/twice", {});
    ASSERT_TRUE(twice.ok()) << twice.error().message;
    EXPECT_EQ(twice->status, 200);
    EXPECT_EQ(twice->body, "first");
  }
  auto thrown = client.request("GET", "/throw", {});
  ASSERT_TRUE(thrown.ok()) << thrown.error().message;
  EXPECT_EQ(thrown->status, 500);
  auto after = client.request("GET", "/after", {});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->body, "first");
}

TEST(HttpServer, DroppedResponderClosesTheConnection) {
  RunningServer server(loopback_config(), [](Request, Responder) {});
  RawConnection connection(server.port());
  ASSERT_TRUE(connection.send(simple_get("/nothing")));
  EXPECT_TRUE(connection.closed_within(2s));
  EXPECT_TRUE(connection.pending().empty());
}

TEST(HttpServer, BodyOverTheLimitGets413AndTheConnectionCloses) {
  auto config = loopback_config();
  config.limits.body_bytes_max = 100;
  std::atomic<int> handled{0};
  RunningServer server(config, [&](Request request, Responder respond) {
    ++handled;
    respond(Response{200, "text/plain", std::to_string(request.body.size()), {}});
  });

  {  // exactly at the limit is fine
    Client client("127.0.0.1", server.port(), 5000);
    auto ok = client.request("POST", "/upload", {}, std::string(100, 'a'));
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok->status, 200);
    EXPECT_EQ(ok->body, "100");
  }
  {  // Content-Length over the limit
    RawConnection connection(server.port());
    ASSERT_TRUE(connection.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" +
                                std::string(1000, 'b')));
    const std::string all = connection.read_until_close();
    EXPECT_EQ(status_of(all), 413) << all;
    EXPECT_EQ(test::body_of(all), R"({"error":"body_too_large"})");
    EXPECT_NE(RawConnection::lowercase(all).find("x-request-id: "), std::string::npos);
    EXPECT_NE(RawConnection::lowercase(all).find("connection: close"), std::string::npos);
  }
  {  // chunked, growing over the limit
    RawConnection connection(server.port());
    ASSERT_TRUE(connection.send(
        "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "50\r\n" + std::string(80, 'c') + "\r\n50\r\n" + std::string(80, 'c') + "\r\n0\r\n\r\n"));
    const std::string all = connection.read_until_close();
    EXPECT_EQ(status_of(all), 413) << all;
  }
  {  // the Client sees the 413 too
    Client client("127.0.0.1", server.port(), 5000);
    auto big = client.request("POST", "/upload", {}, std::string(5000, 'd'));
    ASSERT_TRUE(big.ok()) << big.error().message;
    EXPECT_EQ(big->status, 413);
  }
  EXPECT_EQ(handled.load(), 1);
}

TEST(HttpServer, HugeHeaderGets431) {
  auto config = loopback_config();
  config.limits.header_bytes_max = 1024;
  RunningServer server(config, path_echo());
  RawConnection connection(server.port());
  ASSERT_TRUE(connection.send(simple_get("/", "X-Big: " + std::string(4000, 'h') + "\r\n")));
  const std::string all = connection.read_until_close();
  EXPECT_EQ(status_of(all), 431) << all;
  EXPECT_TRUE(connection.closed_within(100ms));

  RawConnection small(server.port());
  ASSERT_TRUE(small.send(simple_get("/fine", "X-Small: " + std::string(100, 'h') + "\r\n")));
  auto response = small.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(status_of(*response), 200);
}

TEST(HttpServer, MalformedRequestsGet400AndClose) {
  std::atomic<int> handled{0};
  RunningServer server(loopback_config(), [&](Request, Responder respond) {
    ++handled;
    respond(Response{});
  });
  const std::vector<std::string> bad = {
      "GARBAGE\r\n\r\n",
      "GET / HTTP/9.9\r\nHost: x\r\n\r\n",
      "GET / HTTP/1.1\r\nBad Header Name: x\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      "GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET noslash HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /frag#x HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  for (const auto& request : bad) {
    RawConnection connection(server.port());
    ASSERT_TRUE(connection.send(request));
    const std::string all = connection.read_until_close();
    EXPECT_EQ(status_of(all), 400) << request << "\n---\n" << all;
  }
  EXPECT_EQ(handled.load(), 0);
}

TEST(HttpServer, SurvivesRandomBytes) {
  RunningServer server(loopback_config(), path_echo());
  std::mt19937 random(12345);
  for (int round = 0; round < 50; ++round) {
    RawConnection connection(server.port());
    std::string junk(static_cast<std::size_t>(random() % 3000 + 1), '\0');
    for (char& c : junk) c = static_cast<char>(random() % 256);
    if (round % 2 == 0) junk = "POST /x HTTP/1.1\r\n" + junk;
    connection.send(junk);
    connection.closed_within(round % 5 == 0 ? 200ms : 0ms);
  }
  Client client("127.0.0.1", server.port(), 5000);
  auto result = client.request("GET", "/still/alive", {});
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->body, "/still/alive");
}

TEST(HttpServer, IdleConnectionIsClosedAfterTheIdleTimeout) {
  auto config = loopback_config();
  config.limits.idle_timeout_ms = 200;
  RunningServer server(config, path_echo());

  RawConnection silent(server.port());
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.closed_within(3s));
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 2s);

  RawConnection kept(server.port());
  ASSERT_TRUE(kept.send(simple_get("/once")));
  ASSERT_TRUE(kept.read_response().has_value());
  EXPECT_TRUE(kept.closed_within(3s));
}

TEST(HttpServer, SlowRequestIsClosedAfterTheRequestTimeout) {
  auto config = loopback_config();
  config.limits.request_timeout_ms = 300;
  RunningServer server(config, path_echo());
  RawConnection slow(server.port());
  ASSERT_TRUE(slow.send("GET /slow HTTP/1.1\r\n"));
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 10 && slow.send("X-Drip: 1\r\n"); ++i) {
    if (slow.closed_within(100ms)) break;
  }
  EXPECT_TRUE(slow.closed_within(3s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST(HttpServer, ConnectionsBeyondTheMaximumAreClosed) {
  auto config = loopback_config();
  config.limits.connections_max = 2;
  RunningServer server(config, path_echo());

  auto first = std::make_unique<RawConnection>(server.port());
  RawConnection second(server.port());
  for (auto* connection : {first.get(), &second}) {  // make sure both are accepted
    ASSERT_TRUE(connection->send(simple_get("/in")));
    ASSERT_TRUE(connection->read_response().has_value());
  }
  RawConnection third(server.port());
  EXPECT_TRUE(third.closed_within(2s));
  EXPECT_TRUE(third.pending().empty());

  first.reset();  // frees a slot
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    std::this_thread::sleep_for(20ms);
    RawConnection again(server.port());
    if (!again.send(simple_get("/again"))) continue;
    auto response = again.read_response(1s);
    served = response.has_value() && status_of(*response) == 200;
  }
  EXPECT_TRUE(served);
}

TEST(HttpServer, ManyConcurrentClientsAreAllAnsweredCorrectly) {
  RunningServer server(loopback_config(), [](Request request, Responder respond) {
    respond(Response{200, "text/plain", request.body + "|" + request.path, {}});
  });
  constexpr int kThreads = 16;
  constexpr int kRequests = 200;
  std::atomic<int> good{0};
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Client client("127.0.0.1", server.port(), 10000);
      for (int i = 0; i < kRequests; ++i) {
        const std::string body = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto result = client.request("POST", "/p/" + std::to_string(i), {}, body, "text/plain");
        if (result.ok() && result->status == 200 &&
            result->body == body + "|/p/" + std::to_string(i)) {
          ++good;
        } else {
          ++bad;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(good.load(), kThreads * kRequests);
  EXPECT_EQ(bad.load(), 0);
}

TEST(HttpServer, HeadResponseHasNoBodyAndKeepsTheConnectionUsable) {
  RunningServer server(loopback_config(), path_echo());
  RawConnection connection(server.port());
  ASSERT_TRUE(connection.send("HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n" + simple_get("/next")));
  // The HEAD response announces 5 bytes but carries none; the next response follows.
  std::string all;
  for (int i = 0; i < 20 && all.find("/next") == std::string::npos; ++i) {
    connection.read_some(200ms);
    all = connection.pending();
  }
  const auto second = all.find("HTTP/1.1 200", 1);
  ASSERT_NE(second, std::string::npos) << all;
  const std::string head = all.substr(0, second);
  EXPECT_NE(RawConnection::lowercase(head).find("content-length: 5"), std::string::npos) << head;
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
  EXPECT_EQ(test::body_of(all.substr(second)), "/next");
}

TEST(HttpServer, ExpectContinueIsHonoured) {
  RunningServer server(loopback_config(), [](Request request, Responder respond) {
    respond(Response{200, "text/plain", request.body, {}});
  });
  RawConnection connection(server.port());
  ASSERT_TRUE(connection.send(
      "POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = connection.read_response();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(status_of(*interim), 100);
  ASSERT_TRUE(connection.send("hello"));
  auto final_response = connection.read_response();
  ASSERT_TRUE(final_response.has_value());
  EXPECT_EQ(status_of(*final_response), 200);
  EXPECT_EQ(test::body_of(*final_response), "hello");
}

TEST(HttpServer, HttpOneZeroClosesByDefault) {
  RunningServer server(loopback_config(), path_echo());
  RawConnection connection(server.port());
  ASSERT_TRUE(connection.send("GET /old HTTP/1.0\r\n\r\n"));
  const std::string all = connection.read_until_close();
  EXPECT_EQ(all.substr(0, 12), "HTTP/1.0 200");
  EXPECT_EQ(test::body_of(all), "/old");
}

TEST(HttpServer, InvalidStatusFromTheHandlerBecomes500) {
  RunningServer server(loopback_config(), [](Request, Responder respond) {
    respond(Response{42, "text/plain", "odd", {}});
  });
  Client client("127.0.0.1", server.port(), 5000);
  auto result = client.request("GET", "/", {});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->status, 500);
}

TEST(HttpServer, StartFailsWhenThePortIsTaken) {
  RunningServer first(loopback_config(), path_echo());
  auto config = loopback_config();
  config.port = first.port();
  Server second(config, path_echo());
  auto status = second.start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(status.error().reason, "listen_failed");
  EXPECT_NE(status.error().message.find("127.0.0.1:" + std::to_string(first.port())),
            std::string::npos);

  config.host = "no.such.host.invalid";
  config.port = 0;
  Server third(config, path_echo());
  EXPECT_FALSE(third.start().ok());
}

TEST(HttpServer, StopEndsRunAndRefusesNewConnections) {
  Server server(loopback_config(), path_echo());
  ASSERT_TRUE(server.start().ok());
  EXPECT_NE(server.port(), 0);
  auto running = std::async(std::launch::async, [&] { server.run(); });
  {
    Client client("127.0.0.1", server.port(), 5000);
    auto result = client.request("GET", "/up", {});
    ASSERT_TRUE(result.ok());
  }
  EXPECT_EQ(running.wait_for(100ms), std::future_status::timeout) << "run() returned early";
  std::thread stopper([&] { server.stop(); });  // from another thread
  stopper.join();
  ASSERT_EQ(running.wait_for(5s), std::future_status::ready);
  running.get();

  Client client("127.0.0.1", server.port(), 1000);
  auto refused = client.request("GET", "/down", {});
  EXPECT_FALSE(refused.ok());
}

TEST(HttpServer, StopBeforeRunMakesRunReturn) {
  Server server(loopback_config(), path_echo());
  ASSERT_TRUE(server.start().ok());
  server.stop();
  auto running = std::async(std::launch::async, [&] { server.run(); });
  EXPECT_EQ(running.wait_for(5s), std::future_status::ready);
}

}  // namespace
}  // namespace issuerd::http
