#include "support/test_records.h"

#include <gtest/gtest.h>

#include "common/ids.h"

namespace issuerd::testing {

storage::CardRecord insert_test_card(storage::Store& store) {
  const std::string merchant_id = next_id();
  EXPECT_TRUE(store.insert_merchant({merchant_id, "m", "hash-" + merchant_id, std::nullopt, std::nullopt, "active", 1})
                  .ok());
  storage::CardHolderRecord holder{next_id(), merchant_id, "xid", std::nullopt, std::nullopt, std::nullopt, "{}",
                                   "PASSED",  "ACTIVE",    1};
  EXPECT_TRUE(store.cards().insert_holder(holder).ok());
  storage::CardProductRecord product;
  product.card_product_id = next_id();
  product.name = product.card_level = "p";
  product.bin = "424242";
  product.network = "visa";
  product.currency = "USD";
  product.form = "virtual";
  product.over_limit_fee_rate_daily = "0";
  EXPECT_TRUE(store.insert_card_product(product).ok());
  storage::CardRecord card;
  card.card_id = next_id();
  card.merchant_id = merchant_id;
  card.user_id = holder.user_id;
  card.card_product_id = product.card_product_id;
  card.card_level = card.network = card.form = card.pan_sealed = "x";
  card.currency = "USD";
  card.pan_lookup_hash = "lookup-" + card.card_id;
  card.pan_first6 = "424242";
  card.pan_last4 = "4242";
  card.card_status = "ACTIVE";
  card.funding_kind = "card_balance";
  EXPECT_TRUE(store.cards().insert_card(card).ok());
  return card;
}

}  // namespace issuerd::testing
