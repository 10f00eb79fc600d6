#include "storage/store.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "common/ids.h"
#include "storage/migrations.h"
#include "support/test_database.h"
#include "support/test_records.h"

namespace issuerd::storage {
namespace {

using domain::AccountKind;

class StoreTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    database_ = std::make_unique<testing::TestDatabase>(GetParam());
    connection_ = database_->connect_migrated();
    store_ = std::make_unique<Store>(*connection_);
  }

  MerchantRecord merchant(const std::string& name) {
    return MerchantRecord{next_id(), name, "hash-" + name, std::nullopt, std::nullopt, "active", 1000};
  }

  std::unique_ptr<testing::TestDatabase> database_;
  std::unique_ptr<Connection> connection_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, MigrateIsIdempotentAndRefusesNewerDatabase) {
  auto again = migrate(*connection_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, static_cast<int>(embedded_migrations().size()));
  const SqlValue params[] = {std::int64_t{999}, std::string("from_the_future"), std::int64_t{0}};
  ASSERT_TRUE(connection_->execute("INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)",
                                   params).ok());
  auto refused = migrate(*connection_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().reason, "database_too_new");
  EXPECT_NE(refused.error().message.find("999"), std::string::npos);
}

// Migration 0008 rebuilds transfers without its foreign keys: every row and both partial
// indexes survive it, and a reference to a missing account is no longer refused.
TEST_P(StoreTest, TransfersRebuiltWithoutForeignKeysKeepTheirRows) {
  testing::TestDatabase fresh(GetParam());
  auto db = fresh.connect_migrated_before(8);
  Store before(*db);
  auto world = before.find_or_create_account(AccountKind::world, "", "USD", 1);
  auto main = before.find_or_create_account(AccountKind::merchant_main, "m1", "USD", 1);
  ASSERT_TRUE(world.ok() && main.ok());
  const domain::Transfer posted{"t1", world->account_id, main->account_id, 700, "USD", "deposit",
                                domain::TransferStatus::posted, "r1", 5};
  const domain::Transfer held{"t2", main->account_id, world->account_id, 200, "USD", "authorization",
                              domain::TransferStatus::pending, "r2", 6};
  ASSERT_TRUE(before.insert_transfer(posted).ok());
  ASSERT_TRUE(before.insert_transfer(held).ok());
  EXPECT_FALSE(before.insert_transfer({"t3", "nowhere", world->account_id, 1, "USD", "deposit",
                                       domain::TransferStatus::posted, "r3", 7}).ok());

  auto version = migrate(*db);
  ASSERT_TRUE(version.ok()) << version.error().message;
  Store after(*db);
  for (const domain::Transfer& expected : {posted, held}) {
    auto found = after.find_transfer(expected.transfer_id);
    ASSERT_TRUE(found.ok() && found->has_value()) << expected.transfer_id;
    EXPECT_EQ((*found)->debit_account_id, expected.debit_account_id);
    EXPECT_EQ((*found)->credit_account_id, expected.credit_account_id);
    EXPECT_EQ((*found)->amount_minor, expected.amount_minor);
    EXPECT_EQ((*found)->status, expected.status);
    EXPECT_EQ((*found)->reference, expected.reference);
    EXPECT_EQ((*found)->created_at_ms, expected.created_at_ms);
  }
  auto indexes = db->query(GetParam() == Dialect::sqlite
                               ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'transfers_by_%'"
                               : "SELECT COUNT(*) FROM pg_indexes WHERE indexname LIKE 'transfers_by_%'",
                           {});
  ASSERT_TRUE(indexes.ok());
  EXPECT_EQ((*indexes)[0].integer(0), 2);
  EXPECT_TRUE(after.insert_transfer({"t3", "nowhere", world->account_id, 1, "USD", "deposit",
                                     domain::TransferStatus::posted, "r3", 7}).ok());
  EXPECT_EQ(*after.count_transfers_with_unknown_accounts(), 1);
}

// Migration 0009 folds each authorization's CHARGE card transaction into the authorization:
// the card's transaction list shows the same CHARGE rows as before, the other types stay
// where they were, and the window sums still count every authorization.
TEST_P(StoreTest, ChargesFoldedIntoAuthorizationsListAsBefore) {
  testing::TestDatabase fresh(GetParam());
  auto db = fresh.connect_migrated_before(9);
  Store before(*db);
  const CardRecord card = testing::insert_test_card(before);
  auto charge = [&](const std::string& detail_id, const std::string& status, std::int64_t amount_minor,
                    std::int64_t at_ms, std::optional<std::int64_t> posted_at_ms) {
    CardTransactionRecord tx{detail_id, card.merchant_id, card.card_id, card.user_id, "CHARGE", status, amount_minor,
                             "USD", std::nullopt, "Shop " + detail_id, "5411", "SG", std::nullopt, 501, "EUR", at_ms,
                             posted_at_ms};
    EXPECT_TRUE(before.cards().insert_transaction(tx).ok());
    return tx;
  };
  // An authorization as written before 0009, of 5.01 EUR (its CHARGE's auth amount).
  auto old_authorization = [&](const std::string& detail_id, const std::string& card_id, const std::string& state,
                               std::int64_t counted_minor, std::int64_t at_ms) {
    const SqlValue row[] = {next_id(), card.merchant_id, card_id, state == "declined" ? "DECLINED" : "APPROVED", state,
                            "PURCHASE", "USD", std::int64_t{500}, std::int64_t{0}, std::int64_t{501}, "EUR", nullptr,
                            std::int64_t{0}, std::int64_t{0}, std::int64_t{0}, counted_minor, "00", nullptr,
                            "Shop " + detail_id, "5411", "SG", std::int64_t{1}, "card", card_id, nullptr, detail_id,
                            at_ms, at_ms};
    auto inserted = db->execute(
        "INSERT INTO authorizations (authorization_id, merchant_id, card_id, status, state, transaction_type, currency, "
        "amount_minor, fx_fee_minor, original_amount_minor, original_currency, fx_rate, held_minor, captured_minor, "
        "refunded_minor, counted_minor, response_code, decline_reason, merchant_name, merchant_mcc, merchant_country, "
        "card_present, funding_kind, funding_owner_id, hold_transfer_id, detail_id, created_at_ms, updated_at_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        row);
    EXPECT_TRUE(inserted.ok()) << inserted.error().message;
  };
  const std::vector<CardTransactionRecord> charges = {charge("d1", "POSTED", 380, 10, 40), charge("d2", "REJECT", 0, 20, {}),
                                                      charge("d3", "CANCELED", 500, 30, {}),
                                                      charge("d4", "PENDING", 500, 40, {})};
  old_authorization("d1", card.card_id, "captured", 390, 10);
  old_authorization("d2", card.card_id, "declined", 0, 20);
  old_authorization("d3", card.card_id, "reversed", 0, 30);
  old_authorization("d4", card.card_id, "pending", 500, 40);
  old_authorization("d5", "", "declined", 0, 50);  // card unknown: it never had a card transaction
  CardTransactionRecord fee = charges[0];
  fee.detail_id = "f1";
  fee.tx_type = "FEE";
  fee.amount_minor = 10;
  ASSERT_TRUE(before.cards().insert_transaction(fee).ok());
  const CardTransactionRecord top_up = top_up_transaction("t1", card, 2000, true, "o1", 5);
  ASSERT_TRUE(before.cards().insert_transaction(top_up).ok());

  auto version = migrate(*db);
  ASSERT_TRUE(version.ok()) << version.error().message;
  Store after(*db);
  CardTransactionFilter filter;
  filter.merchant_id = card.merchant_id;
  filter.card_id = card.card_id;
  const auto listed = after.cards().list_transactions(filter, 0, 100);
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  std::map<std::string, CardTransactionRecord> expected{{"f1", fee}, {"t1", top_up}};
  for (const CardTransactionRecord& tx : charges) expected[tx.detail_id] = tx;
  std::vector<std::string> order;
  for (const CardTransactionRecord& tx : *listed) {
    order.push_back(tx.detail_id);
    ASSERT_TRUE(expected.contains(tx.detail_id)) << tx.detail_id;
    EXPECT_EQ(card_transaction_row(tx), card_transaction_row(expected.at(tx.detail_id))) << tx.detail_id;
  }
  // Newest first; at the same time, the larger detail id first.
  EXPECT_EQ(order, (std::vector<std::string>{"d4", "d3", "d2", "f1", "d1", "t1"}));
  auto charge_rows_left = db->query("SELECT COUNT(*) FROM card_transactions WHERE tx_type = 'CHARGE'", {});
  ASSERT_TRUE(charge_rows_left.ok());
  EXPECT_EQ((*charge_rows_left)[0].integer(0), 0);
  filter.tx_status = "CANCELED";
  EXPECT_EQ(*after.cards().count_transactions(filter), 1);
  filter.tx_status.clear();
  filter.tx_type = "CHARGE";
  EXPECT_EQ(*after.cards().count_transactions(filter), 4);
  EXPECT_EQ(*after.authorizations().counted_in_window(card.card_id, "PURCHASE", 0, 100), 890);
  EXPECT_EQ(*after.authorizations().counted_in_window(card.card_id, "PURCHASE", 15, 100), 500);
  auto indexes = db->query(GetParam() == Dialect::sqlite
                               ? "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'authorizations_by_%'"
                               : "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'authorizations_by_%'",
                           {});
  ASSERT_TRUE(indexes.ok());
  std::set<std::string> index_names;
  for (const Row& row : *indexes) index_names.insert(row.text(0));
  // authorizations_by_idempotency_key is migration 0010's.
  EXPECT_EQ(index_names, (std::set<std::string>{"authorizations_by_card", "authorizations_by_idempotency_key"}));
}

TEST_P(StoreTest, MerchantsRoundTrip) {
  MerchantRecord a = merchant("a");
  a.public_key = "MIIBIjAN";
  ASSERT_TRUE(store_->insert_merchant(a).ok());
  ASSERT_TRUE(store_->insert_merchant(merchant("b")).ok());
  auto found = store_->find_merchant(a.merchant_id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->name, "a");
  EXPECT_EQ((*found)->public_key, "MIIBIjAN");
  EXPECT_FALSE((*found)->webhook_url.has_value());
  EXPECT_EQ((*store_->find_merchant_by_api_key_hash("hash-b"))->name, "b");
  EXPECT_FALSE(store_->find_merchant("nope")->has_value());
  EXPECT_EQ(*store_->count_merchants(), 2);
  EXPECT_EQ(store_->list_merchants(1, 10)->size(), 1u);
  ASSERT_TRUE(store_->set_merchant_webhook(a.merchant_id, "https://example.test/hook").ok());
  EXPECT_EQ((*store_->find_merchant(a.merchant_id))->webhook_url, "https://example.test/hook");
  // The api key hash is unique.
  MerchantRecord clash = merchant("a");
  clash.merchant_id = next_id();
  EXPECT_EQ(store_->insert_merchant(clash).error().kind, ErrorKind::conflict);
}

TEST_P(StoreTest, AccountsTransfersAndInvariants) {
  auto world = store_->find_or_create_account(AccountKind::world, "", "USD", 1);
  auto main = store_->find_or_create_account(AccountKind::merchant_main, "m1", "USD", 1);
  ASSERT_TRUE(world.ok() && main.ok());
  EXPECT_TRUE(world->may_go_negative);
  EXPECT_FALSE(main->may_go_negative);
  EXPECT_EQ(store_->find_or_create_account(AccountKind::world, "", "USD", 2)->account_id, world->account_id);

  ASSERT_TRUE(domain::post(*world, *main, 700).ok());
  ASSERT_TRUE(store_->save_account(*world).ok());
  ASSERT_TRUE(store_->save_account(*main).ok());
  domain::Transfer transfer{next_id(), world->account_id, main->account_id, 700, "USD", "deposit",
                            domain::TransferStatus::posted, "m1", 5};
  ASSERT_TRUE(store_->insert_transfer(transfer).ok());
  auto totals = store_->balance_totals_by_currency();
  ASSERT_TRUE(totals.ok());
  ASSERT_EQ(totals->size(), 1u);
  EXPECT_EQ((*totals)[0].balance_sum_minor, 0);
  EXPECT_EQ(*store_->count_forbidden_negative_accounts(), 0);
  EXPECT_EQ(*store_->count_accounts_disagreeing_with_transfers(), 0);

  // A hold shows as a pending transfer and in held_minor; both checks see a mismatch if not.
  ASSERT_TRUE(domain::hold(*main, 200).ok());
  ASSERT_TRUE(store_->save_account(*main).ok());
  EXPECT_EQ(*store_->count_accounts_disagreeing_with_transfers(), 1);
  domain::Transfer pending{next_id(), main->account_id, world->account_id, 200, "USD", "authorization",
                           domain::TransferStatus::pending, "auth1", 6};
  ASSERT_TRUE(store_->insert_transfer(pending).ok());
  EXPECT_EQ(*store_->count_accounts_disagreeing_with_transfers(), 0);
  EXPECT_EQ(*store_->count_transfers_with_unknown_accounts(), 0);
  ASSERT_TRUE(store_->set_transfer_status(pending.transfer_id, domain::TransferStatus::voided).ok());
  EXPECT_EQ((*store_->find_transfer(pending.transfer_id))->status, domain::TransferStatus::voided);

  // Forbidden negatives are counted.
  main->balance_minor = -1;
  main->held_minor = 0;
  ASSERT_TRUE(store_->save_account(*main).ok());
  EXPECT_EQ(*store_->count_forbidden_negative_accounts(), 1);

  // No foreign key stops a transfer to an account that does not exist (migration 0008);
  // the ledger check counts it, on either side.
  domain::Transfer to_nowhere{next_id(), main->account_id, "no-such-account", 5, "USD", "deposit",
                              domain::TransferStatus::posted, "m2", 7};
  ASSERT_TRUE(store_->insert_transfer(to_nowhere).ok());
  domain::Transfer from_nowhere{next_id(), "no-such-account", world->account_id, 5, "USD", "deposit",
                                domain::TransferStatus::posted, "m3", 8};
  ASSERT_TRUE(store_->insert_transfer(from_nowhere).ok());
  EXPECT_EQ(*store_->count_transfers_with_unknown_accounts(), 2);
}

TEST_P(StoreTest, CardProductsWithMerchantRestriction) {
  MerchantRecord m = merchant("m");
  ASSERT_TRUE(store_->insert_merchant(m).ok());
  CardProductRecord open{next_id(), "Open", "424242", "visa", "USD", "1", "virtual", "0", 3, {}, 1};
  CardProductRecord closed{next_id(), "Closed", "555555", "mastercard", "EUR", "2", "physical", "0.0005", 4,
                           {m.merchant_id}, 2};
  ASSERT_TRUE(store_->insert_card_product(open).ok());
  ASSERT_TRUE(store_->insert_card_product(closed).ok());
  auto products = store_->list_card_products();
  ASSERT_TRUE(products.ok());
  ASSERT_EQ(products->size(), 2u);
  EXPECT_TRUE((*products)[0].merchant_ids.empty());
  EXPECT_EQ((*products)[1].merchant_ids, std::vector<std::string>{m.merchant_id});
  auto found = store_->find_card_product(closed.card_product_id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->over_limit_fee_rate_daily, "0.0005");
  EXPECT_EQ((*found)->expiry_years, 4);
}

TEST_P(StoreTest, IdempotencyAndNonces) {
  EXPECT_FALSE(store_->find_idempotent_response("m", "/r", "k")->has_value());
  const StoredResponse first{"h1", 201, "application/json", "{\"a\":1}", std::nullopt};
  ASSERT_TRUE(store_->insert_idempotent_response("m", "/r", "k", first, 1).ok());
  auto stored = store_->find_idempotent_response("m", "/r", "k");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->body, "{\"a\":1}");
  EXPECT_EQ((*stored)->http_status, 201);
  EXPECT_FALSE(store_->find_idempotent_response("other", "/r", "k")->has_value());  // scoped per merchant
  const StoredResponse second{"h2", 200, "x", "y", std::nullopt};
  EXPECT_EQ(store_->insert_idempotent_response("m", "/r", "k", second, 2).error().kind,
            ErrorKind::conflict);

  EXPECT_TRUE(*store_->claim_nonce("m", "n1", 1000, 0));
  EXPECT_FALSE(*store_->claim_nonce("m", "n1", 1000, 500));  // reused inside its window
  EXPECT_TRUE(*store_->claim_nonce("other", "n1", 1000, 500));
  EXPECT_TRUE(*store_->claim_nonce("m", "n1", 3000, 2000));  // the old claim expired
}

INSTANTIATE_TEST_SUITE_P(Databases, StoreTest, ::testing::ValuesIn(testing::dialects_under_test()),
                         [](const auto& info) { return testing::dialect_name(info.param); });

}  // namespace
}  // namespace issuerd::storage
