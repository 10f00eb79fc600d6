// issuerctl, the operator's CLI, run as a real process against a started issuerd.
#include <array>
#include <cstdio>

#include "e2e_support.h"

namespace issuerd::e2e {
namespace {

class Issuerctl : public E2eTest {
 protected:
  struct Run {
    int exit_code = -1;
    std::string output;
  };

  // Runs build/issuerctl with the server and token from the environment, as an operator would.
  Run issuerctl(const std::string& arguments) {
    const std::string command = "ISSUERCTL_SERVER=http://127.0.0.1:" + std::to_string(server_->port()) +
                                " ISSUERD_ADMIN_TOKEN=" + server_->admin_token() + " " ISSUERD_BINARY_DIR "/issuerctl " +
                                arguments + " 2>/dev/null";
    Run run;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return run;
    std::array<char, 4096> buffer{};
    while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) run.output += buffer.data();
    const int status = pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
  }

  bj::value json_of(const Run& run) {
    boost::system::error_code ec;
    bj::value value = bj::parse(run.output, ec);
    EXPECT_FALSE(ec) << run.output;
    return value;
  }
};

TEST_P(Issuerctl, CoversTheAdminApi) {
  EXPECT_EQ(issuerctl("health").exit_code, 0);
  Run created = issuerctl("merchants create --name 'CLI Program'");
  ASSERT_EQ(created.exit_code, 0) << created.output;
  const std::string id(json_of(created).at("merchant_id").as_string());
  EXPECT_EQ(issuerctl("deposit " + id + " --amount 250.75 --currency USD --idempotency-key cli-1").exit_code, 0);
  EXPECT_EQ(issuerctl("deposit " + id + " --amount 250.75 --currency USD --idempotency-key cli-1").exit_code, 0);
  EXPECT_EQ(issuerctl("withdraw " + id + " --amount 0.75 --currency USD").exit_code, 0);
  Run overdraw = issuerctl("withdraw " + id + " --amount 1000 --currency USD");
  EXPECT_EQ(overdraw.exit_code, 1);
  Run fetched = issuerctl("merchants get " + id);
  ASSERT_EQ(fetched.exit_code, 0);
  EXPECT_EQ(json_of(fetched).at("balances").as_array()[0].at("balance").as_string(), "250.00");
  EXPECT_EQ(main_balance(id), "250.00");
  Run product = issuerctl("products create --name CLI --bin 411111 --network visa --currency USD --card-level 1 "
                          "--form virtual --merchant " + id);
  ASSERT_EQ(product.exit_code, 0) << product.output;
  EXPECT_EQ(json_of(issuerctl("products list")).at("total").as_int64(), 1);
  EXPECT_EQ(issuerctl("webhooks set " + id + " --url https://hooks.example.test/x").exit_code, 0);
  EXPECT_EQ(json_of(issuerctl("merchants list")).at("total").as_int64(), 1);
  EXPECT_EQ(issuerctl("clock set 2026-03-01T00:00:00Z").exit_code, 0);
  EXPECT_EQ(issuerctl("no-such-command").exit_code, 2);
  EXPECT_EQ(issuerctl("merchants get 404404").exit_code, 1);
}

ISSUERD_E2E_SUITE(Issuerctl);

}  // namespace
}  // namespace issuerd::e2e
