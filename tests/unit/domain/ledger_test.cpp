#include "domain/ledger.h"

#include <gtest/gtest.h>

#include <limits>

namespace issuerd::domain {
namespace {

Account make(std::string id, AccountKind kind, std::int64_t balance = 0) {
  return Account{std::move(id), kind, "owner", "USD", balance, 0, kind_may_go_negative(kind)};
}

TEST(Ledger, PostMovesMoneyAndKeepsSumZero) {
  Account world = make("w", AccountKind::world);
  Account main = make("m", AccountKind::merchant_main);
  ASSERT_TRUE(post(world, main, 10000).ok());
  EXPECT_EQ(world.balance_minor, -10000);
  EXPECT_EQ(main.balance_minor, 10000);
  EXPECT_EQ(world.balance_minor + main.balance_minor, 0);
}

TEST(Ledger, CustomerMoneyNeverGoesNegative) {
  Account main = make("m", AccountKind::merchant_main, 500);
  Account world = make("w", AccountKind::world, -500);
  Status refused = post(main, world, 501);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().reason, "insufficient_balance");
  EXPECT_EQ(main.balance_minor, 500);  // unchanged on error
  EXPECT_EQ(world.balance_minor, -500);
  EXPECT_TRUE(post(main, world, 500).ok());
  EXPECT_EQ(main.balance_minor, 0);
}

TEST(Ledger, HoldReducesAvailableOnly) {
  Account card = make("c", AccountKind::card, 1000);
  ASSERT_TRUE(hold(card, 600).ok());
  EXPECT_EQ(card.balance_minor, 1000);
  EXPECT_EQ(card.available_minor(), 400);
  EXPECT_EQ(hold(card, 401).error().reason, "insufficient_balance");
  EXPECT_EQ(card.held_minor, 600);
  release(card, 600);
  EXPECT_EQ(card.available_minor(), 1000);
}

TEST(Ledger, PostHeldPartialAndAbove) {
  Account card = make("c", AccountKind::card, 1000);
  Account settlement = make("s", AccountKind::network_settlement);
  ASSERT_TRUE(hold(card, 500).ok());
  ASSERT_TRUE(post_held(card, settlement, 500, 300).ok());  // partial capture
  EXPECT_EQ(card.balance_minor, 700);
  EXPECT_EQ(card.held_minor, 0);
  EXPECT_EQ(settlement.balance_minor, 300);
  ASSERT_TRUE(hold(card, 100).ok());
  ASSERT_TRUE(post_held(card, settlement, 100, 120).ok());  // above the hold (tolerance)
  EXPECT_EQ(card.balance_minor, 580);
  ASSERT_TRUE(hold(card, 580).ok());
  EXPECT_EQ(post_held(card, settlement, 580, 581).error().reason, "insufficient_balance");
  EXPECT_EQ(card.held_minor, 580);  // unchanged on error
}

TEST(Ledger, OverflowIsAnError) {
  Account world = make("w", AccountKind::world);
  Account main = make("m", AccountKind::merchant_main, std::numeric_limits<std::int64_t>::max() - 1);
  EXPECT_EQ(post(world, main, 2).error().reason, "amount_out_of_range");
  EXPECT_EQ(main.balance_minor, std::numeric_limits<std::int64_t>::max() - 1);
}

TEST(Ledger, KindNamesRoundTrip) {
  for (AccountKind kind : {AccountKind::merchant_main, AccountKind::world, AccountKind::fee_revenue,
                           AccountKind::network_settlement, AccountKind::card, AccountKind::budget_quota}) {
    EXPECT_EQ(parse_account_kind(account_kind_name(kind)), kind);
  }
  EXPECT_FALSE(parse_account_kind("nope").has_value());
}

}  // namespace
}  // namespace issuerd::domain
