// Synchronous client built on Beast's asynchronous operations (run to completion on a
// private io_context) so every connect, write and read has a deadline.
#include "http/client.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/http/write.hpp>

namespace issuerd::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

constexpr std::uint64_t kResponseBodyMax = 256ULL * 1024 * 1024;
constexpr std::uint32_t kResponseHeaderMax = 1024 * 1024;

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Errors meaning the server closed a kept-alive connection before this request reached it.
bool is_stale_connection_error(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted;
}

}  // namespace

std::string ClientResponse::header(const std::string& lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return value;
  }
  return {};
}

struct Client::Impl {
  Impl(std::string host_in, std::uint16_t port_in, std::uint32_t timeout_ms_in)
      : host(std::move(host_in)), port(port_in), timeout(timeout_ms_in), ioc(1) {
    const bool ipv6_literal = host.find(':') != std::string::npos;
    host_header = ipv6_literal ? "[" + host + "]" : host;
    host_header += ":" + std::to_string(port);
  }

  // Runs the io_context until the started operation completes.
  void run() {
    ioc.restart();
    ioc.run();
  }

  void disconnect() {
    if (stream) {
      error_code ignored;
      stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream->close();
    }
    stream.reset();
    buffer.clear();
  }

  error_code connect() {
    disconnect();
    error_code ec;
    tcp::resolver resolver(ioc);
    const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
    if (ec) return ec;
    stream.emplace(ioc);
    stream->expires_after(timeout);
    stream->async_connect(endpoints, [&ec](error_code connect_ec, const tcp::endpoint&) {
      ec = connect_ec;
    });
    run();
    if (ec) {
      disconnect();
      return ec;
    }
    stream->socket().set_option(tcp::no_delay(true), ec);
    return {};
  }

  std::string host;
  std::uint16_t port;
  std::chrono::milliseconds timeout;
  std::string host_header;
  asio::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
};

Client::Client(std::string host, std::uint16_t port, std::uint32_t timeout_ms)
    : impl_(std::make_unique<Impl>(std::move(host), port, timeout_ms)) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

Result<ClientResponse> Client::request(
    const std::string& method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
    const std::string& content_type) {
  auto& impl = *impl_;
  bhttp::request<bhttp::string_body> req;
  const auto verb = bhttp::string_to_verb(method);
  if (verb == bhttp::verb::unknown) {
    req.method_string(method);
  } else {
    req.method(verb);
  }
  req.target(target);
  req.version(11);
  req.set(bhttp::field::host, impl.host_header);
  bool has_content_type = false;
  for (const auto& [name, value] : headers) {
    req.insert(name, value);
    if (beast::iequals(name, "content-type")) has_content_type = true;
  }
  if (!body.empty() && !content_type.empty() && !has_content_type) {
    req.set(bhttp::field::content_type, content_type);
  }
  if (!body.empty() || verb == bhttp::verb::post || verb == bhttp::verb::put ||
      verb == bhttp::verb::patch) {
    req.content_length(body.size());
  }
  req.body() = body;
  const bool is_head = verb == bhttp::verb::head;

  auto failure = [&](std::string_view stage, const error_code& ec) {
    impl.disconnect();
    return make_error(ErrorKind::unavailable, "http_request_failed",
                      std::string(stage) + " " + impl.host_header + " failed: " + ec.message());
  };

  for (int attempt = 0;; ++attempt) {
    const bool reused = impl.stream.has_value();
    if (!reused) {
      if (auto ec = impl.connect()) return failure("connect to", ec);
    }
    const bool may_retry = reused && attempt == 0;

    error_code ec;
    impl.stream->expires_after(impl.timeout);
    bhttp::async_write(*impl.stream, req,
                       [&ec](error_code write_ec, std::size_t) { ec = write_ec; });
    impl.run();
    if (ec) {
      if (may_retry) {
        impl.disconnect();
        continue;
      }
      return failure("write to", ec);
    }

    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(kResponseHeaderMax);
    parser.body_limit(kResponseBodyMax);
    if (is_head) parser.skip(true);
    impl.stream->expires_after(impl.timeout);
    bhttp::async_read(*impl.stream, impl.buffer, parser,
                      [&ec](error_code read_ec, std::size_t) { ec = read_ec; });
    impl.run();
    if (ec) {
      if (may_retry && !parser.got_some() && is_stale_connection_error(ec)) {
        impl.disconnect();
        continue;
      }
      return failure("read from", ec);
    }

    auto& message = parser.get();
    ClientResponse response;
    response.status = static_cast<int>(message.result_int());
    for (const auto& field : message) {
      response.headers.emplace_back(lowercase(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(message.body());
    if (!message.keep_alive()) impl.disconnect();
    return response;
  }
}

Result<std::pair<std::string, std::uint16_t>> parse_host_port(const std::string& text) {
  auto invalid = [&text]() {
    return make_error(ErrorKind::invalid_argument, "invalid_address",
                      "expected http://HOST:PORT or HOST:PORT, got \"" + text + "\"");
  };
  std::string_view rest = text;
  bool had_scheme = false;
  if (rest.substr(0, 7) == "http://") {
    rest.remove_prefix(7);
    had_scheme = true;
  } else if (rest.find("://") != std::string_view::npos) {
    return invalid();
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty() || rest.find('/') != std::string_view::npos) return invalid();

  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (rest.front() == '[') {  // [IPv6]:port
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return invalid();
    host = rest.substr(1, close - 1);
    const auto after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid();
      port_text = after.substr(1);
      has_port = true;
    } else if (!had_scheme) {
      return invalid();
    }
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      if (!had_scheme) return invalid();
      host = rest;
    } else {
      host = rest.substr(0, colon);
      port_text = rest.substr(colon + 1);
      has_port = true;
      if (host.find(':') != std::string_view::npos) return invalid();  // unbracketed IPv6
    }
  }
  if (host.empty()) return invalid();
  std::uint32_t port = 80;
  if (has_port) {
    if (port_text.empty() || port_text.size() > 5) return invalid();
    port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9') return invalid();
      port = port * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (port == 0 || port > 65535) return invalid();
  }
  return std::pair<std::string, std::uint16_t>{std::string(host), static_cast<std::uint16_t>(port)};
}

}  // namespace issuerd::http
