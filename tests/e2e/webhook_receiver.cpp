#include "webhook_receiver.h"

#include <gtest/gtest.h>

namespace issuerd::e2e {

namespace {
http::ServerConfig loopback_config() {
  http::ServerConfig config;
  config.host = "127.0.0.1";
  config.port = 0;
  config.io_threads = 1;
  return config;
}
}  // namespace

Receiver::Receiver()
    : server_(loopback_config(),
              [this](http::Request request, http::Responder respond) { respond(handle(std::move(request))); }) {
  Status started = server_.start();
  EXPECT_TRUE(started.ok());
  thread_ = std::thread([this] { server_.run(); });
}

void Receiver::shut_down() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

void Receiver::answer_next(int status) {
  std::lock_guard lock(mutex_);
  statuses_.push_back(status);
}

std::vector<http::Request> Receiver::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

http::Response Receiver::handle(http::Request request) {
  std::lock_guard lock(mutex_);
  requests_.push_back(std::move(request));
  int status = 200;
  if (!statuses_.empty()) {
    status = statuses_.front();
    statuses_.pop_front();
  }
  return http::Response{status, "application/json", R"({"code":200,"message":"success"})", {}};
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

}  // namespace issuerd::e2e
