// Helpers for the http tests: a Server running on its own thread, and a raw blocking TCP
// connection (POSIX sockets) for sending bytes no well-behaved client would send.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "http/server.h"

namespace issuerd::http::test {

inline ServerConfig loopback_config() {
  ServerConfig config;
  config.host = "127.0.0.1";
  config.port = 0;
  config.io_threads = 2;
  return config;
}

class RunningServer {
 public:
  RunningServer(ServerConfig config, Handler handler) : server_(std::move(config), std::move(handler)) {
    auto status = server_.start();
    if (!status.ok()) throw std::runtime_error("server start failed: " + status.error().message);
    thread_ = std::thread([this] { server_.run(); });
  }
  ~RunningServer() {
    server_.stop();
    thread_.join();
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  std::uint16_t port() const { return server_.port(); }
  Server& server() { return server_; }

 private:
  Server server_;
  std::thread thread_;
};

// What a read from a raw connection ended with.
enum class ReadEnd { data, closed, timeout };

class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect() failed");
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // False if the peer already closed or reset the connection.
  bool send(std::string_view data) {
    while (!data.empty()) {
      const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Waits up to timeout for more bytes and appends them to pending().
  ReadEnd read_some(std::chrono::milliseconds timeout) {
    pollfd descriptor{fd_, POLLIN, 0};
    const int ready = ::poll(&descriptor, 1, static_cast<int>(timeout.count()));
    if (ready == 0) return ReadEnd::timeout;
    if (ready < 0) return ReadEnd::closed;
    char chunk[16384];
    const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return ReadEnd::closed;  // EOF or reset
    pending_.append(chunk, static_cast<std::size_t>(n));
    return ReadEnd::data;
  }

  // Reads until the peer closes (or timeout); returns everything received.
  std::string read_until_close(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      const auto end = read_some(std::max(left, std::chrono::milliseconds(1)));
      if (end == ReadEnd::closed) {
        closed_ = true;
        break;
      }
    }
    return std::exchange(pending_, {});
  }

  // Reads one whole response (header and a Content-Length body). nullopt on close/timeout.
  std::optional<std::string> read_response(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto header_end = pending_.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::size_t length = 0;
        const auto lower = lowercase(pending_.substr(0, header_end));
        const auto at = lower.find("\r\ncontent-length:");
        if (at != std::string::npos) length = std::stoul(lower.substr(at + 17));
        const std::size_t total = header_end + 4 + length;
        if (pending_.size() >= total) {
          std::string response = pending_.substr(0, total);
          pending_.erase(0, total);
          return response;
        }
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return std::nullopt;
      const auto end = read_some(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
      if (end == ReadEnd::closed) {
        closed_ = true;
        return std::nullopt;
      }
    }
  }

  // True when the peer closes within timeout (any data received meanwhile is kept).
  bool closed_within(std::chrono::milliseconds timeout) {
    if (closed_) return true;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (read_some(std::max(left, std::chrono::milliseconds(1))) == ReadEnd::closed) {
        closed_ = true;
        return true;
      }
    }
    return false;
  }

  const std::string& pending() const { return pending_; }

  static std::string lowercase(std::string text) {
    for (char& c : text) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return text;
  }

 private:
  int fd_ = -1;
  bool closed_ = false;
  std::string pending_;
};

// "HTTP/1.1 413 Payload Too Large\r\n..." -> 413; 0 when it does not look like a response.
inline int status_of(std::string_view response) {
  if (response.size() < 12 || response.substr(0, 5) != "HTTP/") return 0;
  return std::stoi(std::string(response.substr(9, 3)));
}

inline std::string body_of(const std::string& response) {
  const auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? std::string() : response.substr(at + 4);
}

}  // namespace issuerd::http::test
