// A webhook endpoint for the end-to-end suites: a real http::Server on 127.0.0.1 that
// records every request and answers the statuses queued with answer_next(), then 200.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/server.h"

namespace issuerd::e2e {

class Receiver {
 public:
  Receiver();
  ~Receiver() { shut_down(); }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  void shut_down();
  std::uint16_t port() const { return server_.port(); }
  std::string url(const std::string& path_and_query = "/callbacks") const {
    return "http://127.0.0.1:" + std::to_string(port()) + path_and_query;
  }
  void answer_next(int status);
  std::vector<http::Request> requests() const;

 private:
  http::Response handle(http::Request request);

  mutable std::mutex mutex_;
  std::deque<int> statuses_;
  std::vector<http::Request> requests_;
  http::Server server_;
  std::thread thread_;
};

// Polls `condition` every 50 ms for up to `limit`.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = std::chrono::seconds(10));

}  // namespace issuerd::e2e
