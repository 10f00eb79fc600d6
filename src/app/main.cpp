// issuerd: a self-hosted card-issuing server. See README.md and docs/architecture.md.
#include <cstdio>
#include <string>
#include <vector>

#include "app/application.h"
#include "app/config.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto config = issuerd::app::parse_config(args);
  if (!config.ok()) {
    std::fprintf(stderr, "issuerd: %s\n\n%s", config.error().message.c_str(), issuerd::app::usage_text().c_str());
    return 2;
  }
  if (config->show_help) {
    std::fputs(issuerd::app::usage_text().c_str(), stdout);
    return 0;
  }
  if (config->show_version) {
    std::puts("issuerd 0.1.0");
    return 0;
  }
  return issuerd::app::run_issuerd(*config);
}
