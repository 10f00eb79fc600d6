#include "domain/authorization.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace issuerd::domain {
namespace {

std::int64_t at(const char* rfc3339) { return *parse_rfc3339_ms(rfc3339); }

TEST(Windows, CalendarWindowsInUtc) {
  const std::int64_t now = at("2026-11-21T15:30:00Z");  // a Saturday
  EXPECT_EQ(window_at(Period::day, now).start_ms, at("2026-11-21T00:00:00Z"));
  EXPECT_EQ(window_at(Period::day, now).end_ms, at("2026-11-22T00:00:00Z"));
  EXPECT_EQ(window_at(Period::week, now).start_ms, at("2026-11-15T00:00:00Z"));  // Sunday
  EXPECT_EQ(window_at(Period::week, now).end_ms, at("2026-11-22T00:00:00Z"));
  EXPECT_EQ(window_at(Period::month, now).start_ms, at("2026-11-01T00:00:00Z"));
  EXPECT_EQ(window_at(Period::month, now).end_ms, at("2026-12-01T00:00:00Z"));
  EXPECT_EQ(window_at(Period::year, now).start_ms, at("2026-01-01T00:00:00Z"));
  EXPECT_EQ(window_at(Period::year, now).end_ms, at("2027-01-01T00:00:00Z"));
  EXPECT_EQ(window_at(Period::lifetime, now).start_ms, 0);
  // Boundaries: the last millisecond of a day and the first of the next.
  EXPECT_EQ(window_at(Period::day, at("2026-01-31T23:59:59.999Z")).start_ms, at("2026-01-31T00:00:00Z"));
  EXPECT_EQ(window_at(Period::month, at("2026-02-01T00:00:00Z")).start_ms, at("2026-02-01T00:00:00Z"));
  EXPECT_EQ(window_at(Period::month, at("2026-12-31T23:59:59Z")).end_ms, at("2027-01-01T00:00:00Z"));
  EXPECT_EQ(window_at(Period::month, at("2024-02-29T12:00:00Z")).end_ms, at("2024-03-01T00:00:00Z"));
  // A Sunday starts its own week.
  EXPECT_EQ(window_at(Period::week, at("2026-11-22T00:00:00Z")).start_ms, at("2026-11-22T00:00:00Z"));
}

TEST(Windows, Names) {
  for (Period p : {Period::day, Period::week, Period::month, Period::year, Period::lifetime, Period::transaction}) {
    EXPECT_EQ(parse_period(period_name(p)), p);
  }
  EXPECT_FALSE(parse_period("HOUR"));
  EXPECT_EQ(parse_transaction_type("ATM_CASH_WITHDRAWAL"), TransactionType::atm_cash_withdrawal);
  EXPECT_FALSE(parse_transaction_type("purchase"));
}

class Decide : public ::testing::Test {
 protected:
  CardFacts card{true, "ACTIVE", std::nullopt, true, true, 12, 2029};
  PresentedCredentials presented;
  std::vector<ControlUsage> controls;
  std::int64_t funds = 10'000;
  AuthorizationAsk ask{TransactionType::purchase, 1'000, false, at("2026-11-21T12:00:00Z")};

  std::string code() { return decide(card, presented, controls, funds, ask).response_code; }
  std::string reason() { return decide(card, presented, controls, funds, ask).decline_reason; }
};

TEST_F(Decide, ApprovesWhenEverythingPasses) {
  Decision decision = decide(card, presented, controls, funds, ask);
  EXPECT_TRUE(decision.approved);
  EXPECT_EQ(decision.response_code, "00");
  EXPECT_EQ(decision.decline_reason, "");
}

TEST_F(Decide, EachDeclineHasItsCode) {
  card.known = false;
  EXPECT_EQ(code(), "14");
  card.known = true;
  card.expiry_year = 2026;
  card.expiry_month = 10;
  EXPECT_EQ(code(), "54");
  card.expiry_month = 11;  // valid through the end of its month
  EXPECT_EQ(code(), "00");
  presented.expiry_month = 12;
  presented.expiry_year = 26;
  EXPECT_EQ(reason(), "expiry_mismatch");
  presented = {};
  presented.cvv_matches = false;
  EXPECT_EQ(code(), "82");
  presented = {};
  card.status = "LOCK";
  EXPECT_EQ(code(), "62");
  card.status = "CANCELED";
  EXPECT_EQ(code(), "46");
  card.status_reason = "LOST";
  EXPECT_EQ(code(), "41");
  card.status_reason = "STOLEN";
  EXPECT_EQ(code(), "43");
  card.status = "PENDING_ACTIVE";
  EXPECT_EQ(code(), "05");
  card.status = "ACTIVE";
  card.enable_not_present = false;
  EXPECT_EQ(code(), "57");
  ask.card_present = true;
  EXPECT_EQ(code(), "00");
  card.enable_present = false;
  EXPECT_EQ(code(), "57");
  card.enable_present = true;
  funds = 999;
  EXPECT_EQ(code(), "51");
}

TEST_F(Decide, FirstFailureWins) {
  card.status = "LOCK";
  funds = 0;
  controls.push_back({Period::transaction, TransactionType::purchase, 1, 0});
  EXPECT_EQ(code(), "62");  // status comes before controls and funds
  card.status = "ACTIVE";
  EXPECT_EQ(code(), "61");  // controls come before funds
}

TEST_F(Decide, ControlsCountTheirWindowAndType) {
  controls.push_back({Period::day, TransactionType::purchase, 5'000, 4'000});
  EXPECT_EQ(code(), "00");  // 4,000 + 1,000 = 5,000: exactly the limit
  controls[0].used_minor = 4'001;
  EXPECT_EQ(code(), "61");
  EXPECT_EQ(reason(), "exceeds_DAY_limit");
  ask.type = TransactionType::atm_cash_withdrawal;  // another type's control does not apply
  EXPECT_EQ(code(), "00");
  controls.push_back({Period::transaction, TransactionType::atm_cash_withdrawal, 999, 1'000'000});
  EXPECT_EQ(code(), "61");  // per transaction: only the amount counts
  controls.back().limit_minor = 1'000;
  EXPECT_EQ(code(), "00");
}

}  // namespace
}  // namespace issuerd::domain
