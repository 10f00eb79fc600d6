#include "server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace issuerd::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kStartTimeout = 15s;
constexpr auto kStopTimeout = 10s;
constexpr std::string_view kListeningLine = "issuerd listening on http://127.0.0.1:";
constexpr std::size_t kLogTailLines = 40;

std::string read_file_from(const std::string& path, std::size_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string log_tail(const std::string& path) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > kLogTailLines) lines.pop_front();
  }
  std::string out;
  for (const auto& kept : lines) out += kept + "\n";
  return out;
}

// The port on the first listening line in text, or 0.
std::uint16_t find_listening_port(const std::string& text) {
  const auto at = text.find(kListeningLine);
  if (at == std::string::npos) return 0;
  std::size_t i = at + kListeningLine.size();
  std::uint32_t port = 0;
  std::size_t digits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9' && digits < 6) {
    port = port * 10 + static_cast<std::uint32_t>(text[i] - '0');
    ++i;
    ++digits;
  }
  if (digits == 0 || port == 0 || port > 65535) return 0;
  return static_cast<std::uint16_t>(port);
}

// waitpid with a deadline; true when the child was reaped.
bool wait_for_exit(pid_t pid, std::chrono::steady_clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return true;
    if (done < 0 && errno != EINTR) return true;  // not our child any more
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

}  // namespace

ServerProcess::ServerProcess(ServerOptions options) : options_(std::move(options)) {
  char work_template[] = "/tmp/issuerd-test-XXXXXX";
  if (::mkdtemp(work_template) == nullptr) {
    throw std::runtime_error(std::string("mkdtemp failed: ") + std::strerror(errno));
  }
  work_dir_ = work_template;
  log_path_ = work_dir_ + "/issuerd.log";
  if (options_.key_dir.empty()) {
    options_.key_dir = work_dir_ + "/keys";
    ::mkdir(options_.key_dir.c_str(), 0700);
  }
  try {
    start();
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove_all(work_dir_, ignored);
    throw;
  }
}

ServerProcess::~ServerProcess() {
  if (running()) stop();
  std::error_code ignored;
  std::filesystem::remove_all(work_dir_, ignored);
}

http::Client ServerProcess::client() const { return http::Client("127.0.0.1", port_, 30000); }

void ServerProcess::start() {
  std::vector<std::string> args = {std::string(ISSUERD_BINARY_DIR) + "/issuerd",
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--database",
                                   options_.database_url,
                                   "--admin-token",
                                   options_.admin_token,
                                   "--key-dir",
                                   options_.key_dir};
  if (options_.test_clock) args.emplace_back("--test-clock");
  if (!options_.public_url.empty()) {
    args.emplace_back("--public-url");
    args.push_back(options_.public_url);
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) {
    throw std::runtime_error("cannot open " + log_path_ + ": " + std::strerror(errno));
  }
  struct stat info {};
  const std::size_t log_offset = ::fstat(log_fd, &info) == 0 ? static_cast<std::size_t>(info.st_size) : 0;
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test binary
    if (::getppid() != parent) ::_exit(127);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::execv(argv[0], argv.data());
    static constexpr char kMessage[] = "server_process: execv of issuerd failed\n";
    [[maybe_unused]] auto written = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    ::_exit(127);
  }
  ::close(log_fd);
  pid_ = pid;
  port_ = 0;

  auto fail = [this](const std::string& why) {
    kill_hard();
    throw std::runtime_error("issuerd did not start: " + why + "\n--- last lines of " + log_path_ +
                             " ---\n" + log_tail(log_path_));
  };

  const auto deadline = Clock::now() + kStartTimeout;
  while (port_ == 0) {
    port_ = find_listening_port(read_file_from(log_path_, log_offset));
    if (port_ != 0) break;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      const std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                              : WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                                    : "ended";
      throw std::runtime_error("issuerd did not start: it " + how + "\n--- last lines of " +
                               log_path_ + " ---\n" + log_tail(log_path_));
    }
    if (Clock::now() >= deadline) fail("no listening line within 15 s");
    std::this_thread::sleep_for(20ms);
  }

  std::string last_problem = "no answer";
  for (;;) {
    http::Client probe("127.0.0.1", port_, 2000);
    auto result = probe.request("GET", "/healthz", {});
    if (result.ok() && result->status == 200) return;
    last_problem = result.ok() ? "GET /healthz answered " + std::to_string(result->status) + ": " + result->body
                               : "GET /healthz failed: " + result.error().message;
    if (Clock::now() >= deadline) fail(last_problem);
    std::this_thread::sleep_for(50ms);
  }
}

void ServerProcess::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void ServerProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  if (!wait_for_exit(pid_, kStopTimeout)) {
    kill_hard();
    return;
  }
  pid_ = -1;
}

void ServerProcess::restart() {
  if (running()) stop();
  start();
}

}  // namespace issuerd::testing
