// The HTTP/1.1 server (Boost.Beast over Asio): keep-alive, pipelining-safe, bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "http/message.h"

namespace issuerd::http {

struct ServerLimits {
  std::size_t body_bytes_max = 1024 * 1024;  // larger: 413 and the connection closes
  std::size_t header_bytes_max = 16 * 1024;  // larger: 431 and the connection closes
  std::size_t connections_max = 4096;         // beyond: new connections are closed at once
  std::uint32_t idle_timeout_ms = 30000;      // keep-alive connection with no request
  std::uint32_t request_timeout_ms = 15000;   // time to read one whole request (slow clients)
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: an ephemeral port, see Server::port()
  int io_threads = 2;
  ServerLimits limits;
};

class Server {
 public:
  Server(ServerConfig config, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. Error kind unavailable, reason "listen_failed", when the address
  // cannot be bound.
  Status start();
  // The bound port (useful with port 0). Valid after start().
  std::uint16_t port() const;
  // Runs the I/O threads; returns after stop().
  void run();
  // Thread-safe and signal-handler-safe via Asio: stops accepting and ends run().
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace issuerd::http
