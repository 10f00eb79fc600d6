// issuerctl: the operator CLI over issuerd's admin API (see `issuerctl --help`).
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli.h"
#include "http/client.h"

namespace {

using issuerctl::Args;
using issuerctl::Command;
using issuerctl::UsageError;

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : std::move(fallback);
}

// --admin-token, else $ISSUERD_ADMIN_TOKEN, else KEY-DIR/admin_token; "" when none.
std::string admin_token(const Args& args) {
  if (auto token = args.get("admin-token")) return *token;
  if (auto token = env_or("ISSUERD_ADMIN_TOKEN", ""); !token.empty()) return token;
  const std::string path = args.get("key-dir").value_or("var/keys") + "/admin_token";
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
  return token;
}

// The command the words name, and its positional arguments.
std::pair<const Command*, std::vector<std::string>> find_command(const Args& args) {
  for (const auto& command : issuerctl::commands()) {
    if (args.words.size() < command.words.size()) continue;
    bool match = true;
    for (std::size_t i = 0; i < command.words.size(); ++i) match = match && args.words[i] == command.words[i];
    if (!match) continue;
    std::vector<std::string> positional(args.words.begin() + static_cast<std::ptrdiff_t>(command.words.size()),
                                        args.words.end());
    if (positional.size() != command.positional.size()) {
      throw UsageError("usage: issuerctl " + std::string(command.synopsis));
    }
    for (const auto& [name, value] : args.options) {
      bool known = false;
      for (auto allowed : command.options) known = known || name == allowed;
      for (auto allowed : issuerctl::kGlobalOptions) known = known || name == allowed;
      if (!known) throw UsageError("unknown option --" + name + " for " + std::string(command.synopsis));
    }
    return {&command, std::move(positional)};
  }
  throw UsageError("unknown command: " + args.words[0]);
}

int run(const Args& args) {
  auto [command, positional] = find_command(args);
  issuerctl::Call call = command->build(args, positional);

  const std::string server = args.get("server").value_or(env_or("ISSUERCTL_SERVER", "http://127.0.0.1:8080"));
  auto address = issuerd::http::parse_host_port(server);
  if (!address.ok()) throw UsageError(address.error().message);
  if (call.needs_token) {
    const std::string token = admin_token(args);
    if (token.empty()) {
      throw UsageError("no admin token: pass --admin-token, set ISSUERD_ADMIN_TOKEN, or point --key-dir at a folder with admin_token");
    }
    call.headers.emplace_back("Authorization", "Bearer " + token);
  }

  issuerd::http::Client client(address->first, address->second, 30000);
  auto response = client.request(call.method, call.target, call.headers, call.body);
  if (!response.ok()) {
    std::cerr << "issuerctl: " << response.error().message << "\n";
    return 1;
  }
  const bool success = response->status >= 200 && response->status < 300;
  std::ostream& out = success ? std::cout : std::cerr;
  if (!success) out << "issuerctl: HTTP " << response->status << "\n";
  if (!response->body.empty()) out << issuerctl::pretty_json(response->body) << "\n";
  return success ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args args = issuerctl::parse_args(argc, argv);
    if (args.help || (!args.words.empty() && args.words[0] == "help")) {
      std::cout << issuerctl::usage_text();
      return 0;
    }
    if (args.words.empty()) throw UsageError("no command given");
    return run(args);
  } catch (const UsageError& error) {
    std::cerr << "issuerctl: " << error.what() << "\n\n" << issuerctl::usage_text();
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "issuerctl: " << error.what() << "\n";
    return 1;
  }
}
