// A real build/issuerd started as a child process for end-to-end tests, talked to over
// loopback HTTP. issuerd prints "issuerd listening on http://HOST:PORT" to stdout once it
// accepts connections; everything it prints (stdout and stderr) goes to log_path().
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "http/client.h"

namespace issuerd::testing {

struct ServerOptions {
  std::string database_url;                  // required: --database
  std::string admin_token = "test-admin-token";
  bool test_clock = true;                    // --test-clock
  std::string key_dir;                       // "" : a fresh temporary folder
  std::string public_url;                    // "" : not passed
  std::vector<std::string> extra_args;
};

class ServerProcess {
 public:
  // Starts issuerd with --listen 127.0.0.1:0 and waits (up to 15 s) until it prints its
  // listening line and answers GET /healthz with 200. Throws std::runtime_error (with the
  // tail of the log) if it does not.
  explicit ServerProcess(ServerOptions options);
  ~ServerProcess();  // SIGTERM, waits up to 10 s, then SIGKILL
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  const std::string& admin_token() const { return options_.admin_token; }
  const std::string& key_dir() const { return options_.key_dir; }
  const std::string& log_path() const { return log_path_; }
  http::Client client() const;  // a new keep-alive client to this server

  void kill_hard();  // SIGKILL and reap; the server is down afterwards
  void stop();       // SIGTERM and reap
  void restart();    // start again with the same options (after kill_hard or stop)
  bool running() const { return pid_ > 0; }

 private:
  void start();
  ServerOptions options_;
  std::string work_dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace issuerd::testing
