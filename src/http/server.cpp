// HTTP/1.1 server on Boost.Beast. One io_context per I/O thread, each run by that thread
// alone; a connection lives on one of them (round robin), so its handlers never run
// concurrently and need no strand. One request at a time per connection (a pipelined
// request waits in the read buffer until the response before it is written). The handler
// runs on the connection's I/O thread; its Responder may be called from any thread.
#include "http/server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "http/server_util.h"

namespace issuerd::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

constexpr std::size_t kFirstReadBytes = 8192;
// After a response that closes the connection, unread input is drained (bounded) before the
// socket closes, so the peer receives the response instead of a reset.
constexpr std::size_t kDrainBytesMax = 1024 * 1024;
constexpr std::chrono::milliseconds kDrainTimeout{1000};
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

struct Core {
  ServerConfig config;
  Handler handler;
  std::atomic<std::size_t> live_sessions{0};
};

bool is_framing_header(std::string_view name) {
  return beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding") ||
         beast::iequals(name, "connection") || beast::iequals(name, "server") ||
         beast::iequals(name, "x-request-id");
}

bool is_http_parse_error(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

std::string endpoint_address(const tcp::socket& socket) {
  error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return {};
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  // The caller has already counted this session in core.live_sessions.
  Session(tcp::socket&& socket, Core& core) : stream_(std::move(socket)), core_(core) {}
  ~Session() { core_.live_sessions.fetch_sub(1, std::memory_order_relaxed); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::on_start, shared_from_this()));
  }

  // Called through the Responder, from any thread.
  void respond(Response response) {
    if (!awaiting_response_.exchange(false, std::memory_order_acq_rel)) return;  // twice
    asio::dispatch(stream_.get_executor(),
                   [self = shared_from_this(), response = std::move(response)]() mutable {
                     self->write_response(std::move(response));
                   });
  }

 private:
  void on_start() {
    error_code ec;
    stream_.socket().set_option(tcp::no_delay(true), ec);
    remote_address_ = endpoint_address(stream_.socket());
    wait_for_request();
  }

  // Between requests: wait for the first bytes under the idle timeout, unless a pipelined
  // request is already buffered.
  void wait_for_request() {
    if (buffer_.size() > 0) {
      read_header();
      return;
    }
    stream_.expires_after(std::chrono::milliseconds(core_.config.limits.idle_timeout_ms));
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            beast::bind_front_handler(&Session::on_first_bytes, shared_from_this()));
  }

  void on_first_bytes(error_code ec, std::size_t bytes) {
    if (ec) return close_now();  // idle timeout, peer closed, reset
    buffer_.commit(bytes);
    read_header();
  }

  void read_header() {
    const auto& limits = core_.config.limits;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(limits.header_bytes_max, UINT32_MAX)));
    parser_->body_limit(static_cast<std::uint64_t>(limits.body_bytes_max));
    stream_.expires_after(std::chrono::milliseconds(limits.request_timeout_ms));
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    if (parser_->is_done()) return on_request();
    const auto expect = parser_->get()[bhttp::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        beast::bind_front_handler(&Session::on_continue_written, shared_from_this()));
      return;
    }
    read_body();
  }

  void on_continue_written(error_code ec, std::size_t) {
    if (ec) return close_now();
    read_body();
  }

  void read_body() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::on_body, shared_from_this()));
  }

  void on_body(error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    on_request();
  }

  void on_read_error(const error_code& ec) {
    if (ec == bhttp::error::body_limit) {
      return write_error(413, R"({"error":"body_too_large"})");
    }
    if (ec == bhttp::error::header_limit) {
      return write_error(431, R"({"error":"header_too_large"})");
    }
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
      return close_now();
    }
    if (is_http_parse_error(ec)) {
      return write_error(400, R"({"error":"bad_request"})");
    }
    close_now();  // timeout, reset, aborted
  }

  // A response to a request that could not be read: fresh request id, connection closes.
  void write_error(int status, std::string_view body) {
    keep_alive_ = false;
    version_ = 11;
    head_ = false;
    detail::generate_request_id(request_id_.data());
    request_id_length_ = detail::kGeneratedRequestIdLength;
    Response response;
    response.status = status;
    response.body.assign(body);
    write_response(std::move(response));
  }

  void on_request() {
    auto& message = parser_->get();
    keep_alive_ = message.keep_alive();
    version_ = message.version() == 10 ? 10 : 11;
    head_ = message.method() == bhttp::verb::head;

    Request request;
    request.target.assign(message.target());
    if (!detail::parse_target(request.target, request.path, request.query)) {
      parser_.reset();
      return write_error(400, R"({"error":"bad_target"})");
    }
    request.method.assign(message.method_string());
    request.headers.reserve(12);
    std::string_view client_request_id;
    for (const auto& field : message) {
      std::string name(field.name_string());
      for (char& c : name) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      request.headers.emplace_back(std::move(name), std::string(field.value()));
      if (client_request_id.empty() && request.headers.back().first == "x-request-id") {
        client_request_id = request.headers.back().second;
      }
    }
    if (detail::is_valid_request_id(client_request_id)) {
      std::memcpy(request_id_.data(), client_request_id.data(), client_request_id.size());
      request_id_length_ = client_request_id.size();
    } else {
      detail::generate_request_id(request_id_.data());
      request_id_length_ = detail::kGeneratedRequestIdLength;
    }
    request.request_id.assign(request_id_.data(), request_id_length_);
    request.body = std::move(message.body());
    request.remote_address = remote_address_;
    parser_.reset();

    awaiting_response_.store(true, std::memory_order_release);
    try {
      core_.handler(std::move(request), Responder(ResponderFn{shared_from_this()}));
    } catch (...) {
      Response failure;
      failure.status = 500;
      failure.body = R"({"error":"internal"})";
      respond(std::move(failure));  // ignored if the handler had already responded
    }
  }

  struct ResponderFn {
    std::shared_ptr<Session> session;
    void operator()(Response response) const { session->respond(std::move(response)); }
  };

  void write_response(Response response) {
    response.finish_body();
    res_.clear();
    unsigned status = 500;
    if (response.status >= 100 && response.status <= 999) status = static_cast<unsigned>(response.status);
    res_.result(status);
    res_.version(version_);
    res_.set(bhttp::field::server, "issuerd");
    if (!response.content_type.empty() && detail::is_safe_header_value(response.content_type)) {
      res_.set(bhttp::field::content_type, response.content_type);
    }
    res_.set("X-Request-Id", std::string_view(request_id_.data(), request_id_length_));
    for (const auto& [name, value] : response.headers) {
      if (!detail::is_header_token(name) || !detail::is_safe_header_value(value)) continue;
      if (is_framing_header(name)) continue;
      res_.insert(name, value);
    }
    const bool bodiless = status < 200 || status == 204 || status == 304;
    if (bodiless) {
      res_.body().clear();
    } else {
      res_.content_length(response.body.size());
      if (head_) {
        res_.body().clear();
      } else {
        res_.body() = std::move(response.body);
      }
    }
    res_.keep_alive(keep_alive_);
    stream_.expires_after(std::chrono::milliseconds(core_.config.limits.request_timeout_ms));
    bhttp::async_write(stream_, res_,
                       beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(error_code ec, std::size_t) {
    if (ec) return close_now();
    if (!keep_alive_) return close_gracefully();
    wait_for_request();
  }

  // Half-close, then read and discard what the peer still sends (bounded in bytes and
  // time), so the response is not lost to a TCP reset.
  void close_gracefully() {
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close_now();
    buffer_.clear();
    drained_ = 0;
    stream_.expires_after(kDrainTimeout);
    drain();
  }

  void drain() {
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            beast::bind_front_handler(&Session::on_drain, shared_from_this()));
  }

  void on_drain(error_code ec, std::size_t bytes) {
    drained_ += bytes;
    if (ec || drained_ > kDrainBytesMax) return close_now();
    drain();
  }

  void close_now() {
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  Core& core_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> res_;
  std::string remote_address_;
  std::array<char, 64> request_id_{};
  std::size_t request_id_length_ = 0;
  std::atomic<bool> awaiting_response_{false};
  bool keep_alive_ = true;
  bool head_ = false;
  unsigned version_ = 11;
  std::size_t drained_ = 0;
};

}  // namespace

// Why not one io_context run by every I/O thread, with a strand per connection (Beast's
// examples): on this 2-core machine the strands' executor wrapping and the shared
// scheduler's lock took a fifth of the I/O threads' time (docs/benchmarks.md, the tenth
// session).
struct Server::Impl {
  Impl(ServerConfig config, Handler handler) {
    core.config = std::move(config);
    core.handler = std::move(handler);
    if (core.config.io_threads < 1) core.config.io_threads = 1;
    for (int i = 0; i < core.config.io_threads; ++i) {
      contexts.push_back(std::make_unique<asio::io_context>(1));  // one thread runs it
      work.push_back(asio::make_work_guard(*contexts.back()));
    }
    acceptor.emplace(*contexts.front());
    retry_timer.emplace(*contexts.front());
  }

  // The acceptor and its timer live on the first context.
  void do_accept() {
    asio::io_context& next = *contexts[next_context++ % contexts.size()];
    acceptor->async_accept(next, [this](error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
  }

  void on_accept(error_code ec, tcp::socket socket) {
    if (!acceptor->is_open() || ec == asio::error::operation_aborted) return;
    if (ec) {  // e.g. out of file descriptors: back off briefly instead of spinning
      retry_timer->expires_after(kAcceptRetryDelay);
      retry_timer->async_wait([this](error_code wait_ec) {
        if (!wait_ec && acceptor->is_open()) do_accept();
      });
      return;
    }
    const std::size_t before = core.live_sessions.fetch_add(1, std::memory_order_relaxed);
    if (before >= core.config.limits.connections_max) {
      core.live_sessions.fetch_sub(1, std::memory_order_relaxed);
      error_code ignored;
      socket.close(ignored);
    } else {
      try {
        std::make_shared<Session>(std::move(socket), core)->start();
      } catch (const std::exception&) {
        // bad_alloc: the socket closed with the failed session; keep accepting.
      }
    }
    do_accept();
  }

  void stop_all() {
    for (auto& guard : work) guard.reset();
    for (auto& context : contexts) context->stop();
  }

  // Declared first: destroyed after the io_contexts (which destroy the sessions).
  Core core;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> retry_timer;
  std::size_t next_context = 0;  // only the first context's thread touches it
  std::uint16_t bound_port = 0;
};

Server::Server(ServerConfig config, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(handler))) {}

Server::~Server() {
  if (!impl_) return;
  impl_->stop_all();
  error_code ec;
  impl_->acceptor->close(ec);
}

Status Server::start() {
  auto& impl = *impl_;
  const auto& config = impl.core.config;
  const std::string where = config.host + ":" + std::to_string(config.port);
  auto fail = [&](const std::string& what) {
    error_code ignored;
    impl.acceptor->close(ignored);
    return Status(make_error(ErrorKind::unavailable, "listen_failed",
                             "cannot listen on " + where + ": " + what));
  };
  error_code ec;
  tcp::endpoint endpoint;
  const auto address = asio::ip::make_address(config.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, config.port);
  } else {
    tcp::resolver resolver(*impl.contexts.front());
    auto results = resolver.resolve(config.host, std::to_string(config.port),
                                    tcp::resolver::passive, ec);
    if (ec || results.empty()) return fail(ec ? ec.message() : "host not found");
    endpoint = results.begin()->endpoint();
  }
  impl.acceptor->open(endpoint.protocol(), ec);
  if (ec) return fail(ec.message());
  impl.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail(ec.message());
  impl.acceptor->bind(endpoint, ec);
  if (ec) return fail(ec.message());
  impl.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ec.message());
  impl.bound_port = impl.acceptor->local_endpoint(ec).port();
  if (ec) return fail(ec.message());
  asio::dispatch(*impl.contexts.front(), [&impl] { impl.do_accept(); });
  return Status::success();
}

std::uint16_t Server::port() const { return impl_->bound_port; }

void Server::run() {
  auto& impl = *impl_;
  auto run_loop = [](asio::io_context& context) {
    for (;;) {
      try {
        context.run();
        return;
      } catch (const std::exception&) {
        // A handler threw through Asio; keep serving.
      }
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(impl.contexts.size() - 1);
  for (std::size_t i = 1; i < impl.contexts.size(); ++i) {
    threads.emplace_back([&run_loop, &context = *impl.contexts[i]] { run_loop(context); });
  }
  run_loop(*impl.contexts.front());
  for (auto& thread : threads) thread.join();
}

void Server::stop() {
  auto* impl = impl_.get();
  asio::post(*impl->contexts.front(), [impl] {
    error_code ec;
    impl->acceptor->close(ec);
    impl->retry_timer->cancel();
    impl->stop_all();
  });
}

}  // namespace issuerd::http
