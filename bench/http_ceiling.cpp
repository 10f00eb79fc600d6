// The HTTP ceiling of this machine: a server that only parses a small JSON POST and answers
// it, driven by bench/run.py with the same wrk script as issuerd. It is the "HTTP ceiling"
// of the throughput issue: how many authorizations per second the two cores could carry if
// the authorization itself cost nothing.
//
//   http_ceiling --server beast|issuerd --port N
//
// beast:   a plain Boost.Beast server as the library's examples build one (2 I/O threads, an
//          io_context each, connections handed out round robin, keep-alive), Boost.JSON to
//          parse the body and to write the answer.
// issuerd: issuerd's own http::Server (its limits, timeouts, request ids) with a handler that
//          parses the body with issuerd's JSON readers and writes the answer as the simulator
//          does: the cost of issuerd's HTTP layer without the writer.
//
// Both answer 201 with an authorization-shaped body about as long as issuerd's, so wrk's
// script counts it as approved and reads as many bytes.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/json.h"
#include "http/server.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace bj = boost::json;
using tcp = asio::ip::tcp;

constexpr int kIoThreads = 2;

// The fields of the answer, filled from the request's card and amount: the same names and
// about the same length as issuerd's simulator answer.
bj::object answer_object(std::string_view card_id, std::string_view amount) {
  return bj::object{{"authorization_id", "auth_0000000000000000000000000000"},
                    {"status", "APPROVED"},
                    {"response_code", "00"},
                    {"card_id", card_id},
                    {"state", "pending"},
                    {"transaction_type", "PURCHASE"},
                    {"amount", amount},
                    {"currency", "USD"},
                    {"card_currency", "USD"},
                    {"card_amount", amount},
                    {"fx_fee", "0.00"},
                    {"approved_amount", amount},
                    {"held_amount", amount},
                    {"captured_amount", "0.00"},
                    {"refunded_amount", "0.00"},
                    {"card_present", false},
                    {"merchant", {{"name", "Bench Shop"}, {"mcc", "5411"}, {"country", "US"}}},
                    {"created_at", "2026-12-07T00:00:00.000Z"},
                    {"available_after", "1000.00"}};
}

// ---- the plain Beast server ----

class BeastSession : public std::enable_shared_from_this<BeastSession> {
 public:
  explicit BeastSession(tcp::socket socket) : stream_(std::move(socket)) {}

  void read() {
    request_ = {};
    bhttp::async_read(stream_, buffer_, request_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec) return;
    response_ = {};
    response_.version(request_.version());
    response_.keep_alive(request_.keep_alive());
    response_.set(bhttp::field::content_type, "application/json");
    boost::system::error_code parse_error;
    bj::value body = bj::parse(request_.body(), parse_error);
    if (parse_error || !body.is_object()) {
      response_.result(bhttp::status::bad_request);
      response_.body() = R"({"error":"invalid_json"})";
    } else {
      const bj::object& in = body.get_object();
      const bj::string* card = in.contains("card_id") ? in.at("card_id").if_string() : nullptr;
      const bj::string* amount = in.contains("amount") ? in.at("amount").if_string() : nullptr;
      response_.result(bhttp::status::created);
      response_.body() = bj::serialize(answer_object(card != nullptr ? std::string_view(*card) : "",
                                                     amount != nullptr ? std::string_view(*amount) : "0.00"));
    }
    response_.prepare_payload();
    bhttp::async_write(stream_, response_, [self = shared_from_this()](beast::error_code write_error, std::size_t) {
      if (write_error || !self->response_.keep_alive()) return;
      self->read();
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bhttp::request<bhttp::string_body> request_;
  bhttp::response<bhttp::string_body> response_;
};

int run_beast(std::uint16_t port) {
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (int i = 0; i < kIoThreads; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
  tcp::acceptor acceptor(*contexts[0], tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::size_t next = 0;
  std::function<void()> accept = [&] {
    acceptor.async_accept(*contexts[next++ % contexts.size()], [&](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      socket.set_option(tcp::no_delay(true));
      std::make_shared<BeastSession>(std::move(socket))->read();
      accept();
    });
  };
  accept();
  asio::signal_set signals(*contexts[0], SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) {
    for (auto& context : contexts) context->stop();
  });
  std::vector<std::thread> threads;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& context : contexts) guards.push_back(asio::make_work_guard(*context));
  for (std::size_t i = 1; i < contexts.size(); ++i) threads.emplace_back([&context = *contexts[i]] { context.run(); });
  contexts[0]->run();
  for (auto& thread : threads) thread.join();
  return 0;
}

// ---- issuerd's HTTP layer ----

issuerd::http::Response issuerd_answer(const issuerd::http::Request& request) {
  issuerd::http::Response response;
  auto body = issuerd::json::parse_object(request.body);
  if (!body.ok()) {
    response.status = 400;
    response.body = R"({"error":"invalid_json"})";
    return response;
  }
  auto card = issuerd::json::optional_string(*body, "card_id");
  auto amount = issuerd::json::optional_string(*body, "amount");
  const std::string card_id = card.ok() && card->has_value() ? **card : "";
  const std::string amount_text = amount.ok() && amount->has_value() ? **amount : "0.00";
  issuerd::json::ObjectText merchant;
  merchant.add_text("name", "Bench Shop").add_text("mcc", "5411").add_text("country", "US");
  issuerd::json::ObjectText out;
  out.add_text("authorization_id", "auth_0000000000000000000000000000")
      .add_text("status", "APPROVED")
      .add_text("response_code", "00")
      .add_text("card_id", card_id)
      .add_text("state", "pending")
      .add_text("transaction_type", "PURCHASE")
      .add_text("amount", amount_text)
      .add_text("currency", "USD")
      .add_text("card_currency", "USD")
      .add_text("card_amount", amount_text)
      .add_text("fx_fee", "0.00")
      .add_text("approved_amount", amount_text)
      .add_text("held_amount", amount_text)
      .add_text("captured_amount", "0.00")
      .add_text("refunded_amount", "0.00")
      .add_bool("card_present", false)
      .add_object("merchant", std::move(merchant))
      .add_text("created_at", "2026-12-07T00:00:00.000Z")
      .add_text("available_after", "1000.00");
  response.status = 201;
  response.body = out.finish();
  return response;
}

int run_issuerd(std::uint16_t port) {
  issuerd::http::ServerConfig config;
  config.port = port;
  config.io_threads = kIoThreads;
  issuerd::http::Server server(config, [](issuerd::http::Request request, issuerd::http::Responder respond) {
    respond(issuerd_answer(request));
  });
  if (!server.start().ok()) {
    std::fprintf(stderr, "http_ceiling: cannot listen on port %u\n", static_cast<unsigned>(port));
    return 1;
  }
  asio::io_context signal_context(1);
  asio::signal_set signals(signal_context, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) { server.stop(); });
  std::thread signal_thread([&] { signal_context.run(); });
  server.run();
  signal_context.stop();
  signal_thread.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string server = "beast";
  int port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--server") server = argv[i + 1];
    if (flag == "--port") port = std::atoi(argv[i + 1]);
  }
  if (port <= 0 || port > 65535 || (server != "beast" && server != "issuerd")) {
    std::fprintf(stderr, "usage: http_ceiling --server beast|issuerd --port N\n");
    return 2;
  }
  std::fprintf(stderr, "http_ceiling: %s server on 127.0.0.1:%d\n", server.c_str(), port);
  return server == "beast" ? run_beast(static_cast<std::uint16_t>(port)) : run_issuerd(static_cast<std::uint16_t>(port));
}
