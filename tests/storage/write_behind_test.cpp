// The writer's cache (storage/write_behind.h): what a hot Store serves from memory, what it
// buffers, and that write_back() leaves the database as the uncached Store would have.
#include "storage/write_behind.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "common/ids.h"
#include "storage/migrations.h"
#include "storage/store.h"
#include "support/test_database.h"
#include "support/test_records.h"

namespace issuerd::storage {
namespace {

using domain::AccountKind;

class WriteBehindTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    database_ = std::make_unique<testing::TestDatabase>(GetParam());
    connection_ = database_->connect_migrated();
    store_ = std::make_unique<Store>(*connection_, &cache_);
  }

  // What the database holds, asked on the same connection with the cache out of the way.
  std::int64_t count(const std::string& sql, std::vector<SqlValue> params = {}) {
    auto rows = connection_->query(sql, params);
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return rows.ok() ? (*rows)[0].integer(0) : -1;
  }

  // A card with what it refers to (merchant, holder, product), for the tables that check.
  std::string insert_card() {
    CardRecord card = testing::insert_test_card(*store_);
    cards_[card.card_id] = card;
    return card.card_id;
  }

  AuthorizationRecord authorization(const std::string& card_id, std::int64_t counted_minor, std::int64_t at_ms) {
    AuthorizationRecord a;
    a.authorization_id = next_id();
    a.merchant_id = "m1";
    a.card_id = card_id;
    a.status = "APPROVED";
    a.state = "pending";
    a.transaction_type = "PURCHASE";
    a.currency = a.original_currency = "USD";
    a.amount_minor = a.original_amount_minor = a.held_minor = a.counted_minor = counted_minor;
    a.response_code = "00";
    a.funding_kind = "card";
    a.funding_owner_id = card_id;
    a.detail_id = next_id();
    a.created_at_ms = a.updated_at_ms = at_ms;
    return a;
  }

  // An authorization of a card from insert_card(), as the engine records it.
  Status authorize(const std::string& card_id, std::int64_t counted_minor, std::int64_t at_ms) {
    AuthorizationRecord a = authorization(card_id, counted_minor, at_ms);
    a.merchant_id = cards_.at(card_id).merchant_id;
    return store_->authorizations().insert(a);
  }

  // A row of idempotency_keys as an issuerd before migration 0010 stored it for any route.
  bool insert_stored_response(const std::string& scope, const std::string& route, const std::string& key) {
    const std::vector<SqlValue> params{scope, route, key, "hash-" + key};
    return connection_
        ->execute("INSERT INTO idempotency_keys (scope, route, idempotency_key, request_hash, http_status, "
                  "content_type, response_body, created_at_ms) VALUES (?, ?, ?, ?, 201, 'application/json', "
                  "'{\"old\":1}', 1)",
                  params)
        .ok();
  }

  std::unique_ptr<testing::TestDatabase> database_;
  std::unique_ptr<Connection> connection_;
  WriteBehind cache_;
  std::unique_ptr<Store> store_;
  std::map<std::string, CardRecord> cards_;  // by card id, as insert_card() made them
};

TEST_P(WriteBehindTest, BufferedInsertsReachTheDatabaseInChunksAtWriteBack) {
  const auto from = store_->find_or_create_account(AccountKind::card, "c1", "USD", 1);
  const auto to = store_->find_or_create_account(AccountKind::network_settlement, "", "USD", 1);
  ASSERT_TRUE(from.ok() && to.ok());
  store_->set_hot(true);
  // 150 rows: one chunk of 128, one of 16 and six single rows.
  for (int i = 0; i < 150; ++i) {
    domain::Transfer t{next_id(), from->account_id, to->account_id, i + 1, "USD", "authorization",
                       domain::TransferStatus::pending, "r", i};
    ASSERT_TRUE(store_->insert_transfer(t).ok());
  }
  EXPECT_EQ(store_->cache_mutations(), 150u);
  store_->set_hot(false);
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers"), 0);
  Status written = store_->write_back();
  ASSERT_TRUE(written.ok()) << written.error().message;
  EXPECT_EQ(count("SELECT COUNT(*) FROM transfers"), 150);
  EXPECT_EQ(count("SELECT SUM(amount_minor) FROM transfers"), 150 * 151 / 2);
  EXPECT_TRUE(cache_.buffers_empty());
}

TEST_P(WriteBehindTest, AccountChangesStayInMemoryUntilWriteBack) {
  auto created = store_->find_or_create_account(AccountKind::card, "c1", "USD", 1);
  ASSERT_TRUE(created.ok());
  store_->set_hot(true);
  domain::Account account = *store_->find_or_create_account(AccountKind::card, "c1", "USD", 2);
  EXPECT_EQ(account.account_id, created->account_id);
  account.held_minor = 250;
  ASSERT_TRUE(store_->save_account(account).ok());
  EXPECT_EQ((*store_->find_account(AccountKind::card, "c1", "USD"))->held_minor, 250);
  store_->set_hot(false);
  EXPECT_EQ((*store_->find_account(AccountKind::card, "c1", "USD"))->held_minor, 0);  // not written yet
  ASSERT_TRUE(store_->write_back().ok());
  EXPECT_EQ((*store_->find_account(AccountKind::card, "c1", "USD"))->held_minor, 250);
  EXPECT_TRUE(cache_.dirty_accounts.empty());
}

// Many dirty rows at once: SQLite writes them in chunks of at most 256 rows, PostgreSQL in
// one UPDATE of arrays (a card's cap limit may be NULL; the array carries it as NULL).
TEST_P(WriteBehindTest, ManyDirtyAccountsAndCardsAreWrittenBackTogether) {
  std::vector<std::string> owners;
  for (int i = 0; i < 300; ++i) {
    owners.push_back("owner-" + std::to_string(i));
    ASSERT_TRUE(store_->find_or_create_account(AccountKind::card, owners.back(), "USD", 1).ok());
  }
  const std::string limited = insert_card();
  const std::string unlimited = insert_card();
  ASSERT_TRUE(store_->warm_cache().ok());
  store_->set_hot(true);
  for (int i = 0; i < 300; ++i) {
    domain::Account account = *store_->find_account(AccountKind::card, owners[i], "USD").value();
    account.balance_minor = 1'000 + i;
    account.held_minor = i;
    ASSERT_TRUE(store_->save_account(account).ok());
  }
  CardRecord with_cap = *store_->cards().find_card_by_id(limited).value();
  with_cap.cap_limit_minor = 5'000;
  with_cap.cap_used_minor = 1'234;
  with_cap.updated_at_ms = 77;
  ASSERT_TRUE(store_->cards().update_card(with_cap).ok());
  CardRecord without_cap = *store_->cards().find_card_by_id(unlimited).value();
  without_cap.cap_limit_minor.reset();
  without_cap.cap_used_minor = 99;
  without_cap.updated_at_ms = 78;
  ASSERT_TRUE(store_->cards().update_card(without_cap).ok());
  store_->set_hot(false);
  Status written = store_->write_back();
  ASSERT_TRUE(written.ok()) << written.error().message;
  EXPECT_EQ(count("SELECT SUM(balance_minor) FROM accounts WHERE owner_id LIKE 'owner-%'"), 300 * 1'000 + 299 * 300 / 2);
  EXPECT_EQ(count("SELECT SUM(held_minor) FROM accounts WHERE owner_id LIKE 'owner-%'"), 299 * 300 / 2);
  EXPECT_EQ(count("SELECT held_minor FROM accounts WHERE owner_id = 'owner-299'"), 299);
  EXPECT_EQ(count("SELECT cap_limit_minor FROM cards WHERE card_id = ?", {limited}), 5'000);
  EXPECT_EQ(count("SELECT cap_used_minor + updated_at_ms FROM cards WHERE card_id = ?", {limited}), 1'234 + 77);
  EXPECT_EQ(count("SELECT COUNT(*) FROM cards WHERE card_id = ? AND cap_limit_minor IS NULL AND cap_used_minor = 99 "
                  "AND updated_at_ms = 78",
                  {unlimited}),
            1);
  EXPECT_TRUE(cache_.dirty_accounts.empty() && cache_.dirty_cards.empty());
}

TEST_P(WriteBehindTest, WindowUsageFollowsTheBatchsAuthorizations) {
  const std::string c1 = insert_card();
  const std::string c2 = insert_card();
  ASSERT_TRUE(authorize(c1, 100, 1'000).ok());  // before the cache
  store_->set_hot(true);
  auto authorizations = store_->authorizations();
  EXPECT_EQ(*authorizations.counted_in_window(c1, "PURCHASE", 0, 10'000), 100);  // loaded
  ASSERT_TRUE(authorize(c1, 40, 5'000).ok());
  ASSERT_TRUE(authorize(c1, 7, 20'000).ok());  // another window
  ASSERT_TRUE(authorize(c2, 9, 5'000).ok());   // another card
  EXPECT_EQ(*authorizations.counted_in_window(c1, "PURCHASE", 0, 10'000), 140);
  // A window not cached yet is summed with the batch's rows written first.
  EXPECT_EQ(*authorizations.counted_in_window(c1, "PURCHASE", 0, 30'000), 147);
  // The next day's window: the ones over before it starts are forgotten.
  EXPECT_EQ(*authorizations.counted_in_window(c1, "PURCHASE", 20'000, 40'000), 7);
  const auto& windows = cache_.windows.at(window_key(c1, "PURCHASE"));
  EXPECT_EQ(windows.size(), 2u);  // [0, 30000) and [20000, 40000); [0, 10000) is gone
  EXPECT_TRUE(std::none_of(windows.begin(), windows.end(), [](const WindowUsage& w) { return w.end_ms == 10'000; }));
  store_->set_hot(false);
  ASSERT_TRUE(store_->write_back().ok());
  EXPECT_EQ(count("SELECT SUM(counted_minor) FROM authorizations WHERE card_id = ? AND created_at_ms < ?",
                  {c1, std::int64_t{10'000}}),
            140);
  EXPECT_EQ(count("SELECT COUNT(*) FROM authorizations"), 4);
  // Uncached, the sum is the same, and another transaction type counts apart.
  EXPECT_EQ(*store_->authorizations().counted_in_window(c1, "PURCHASE", 0, 30'000), 147);
  EXPECT_EQ(*store_->authorizations().counted_in_window(c1, "ATM_CASH_WITHDRAWAL", 0, 30'000), 0);
  EXPECT_EQ(*store_->authorizations().counted_in_window(c2, "PURCHASE", 0, 30'000), 9);
}

TEST_P(WriteBehindTest, PrefetchedIdempotencyKeysAnswerWithoutAQuery) {
  const StoredResponse earlier{"hash-1", 201, "application/json", "{\"a\":1}", std::nullopt};
  ASSERT_TRUE(store_->insert_idempotent_response("m1", "/sim", "k1", earlier, 1).ok());
  ASSERT_TRUE(store_->prefetch_idempotent_responses({{"m1", "/sim", "k1"}, {"m1", "/sim", "k2"}, {"m2", "/sim", "k1"}}).ok());
  store_->set_hot(true);
  auto found = store_->find_idempotent_response("m1", "/sim", "k1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->body, "{\"a\":1}");
  EXPECT_FALSE(store_->find_idempotent_response("m2", "/sim", "k1")->has_value());
  EXPECT_FALSE(store_->find_idempotent_response("m1", "/sim", "k2")->has_value());
  // Stored during the batch: found by the next command of the same batch.
  const StoredResponse stored{"hash-2", 201, "application/json", "{}", std::nullopt};
  ASSERT_TRUE(store_->insert_idempotent_response("m1", "/sim", "k2", stored, 2).ok());
  EXPECT_EQ((*store_->find_idempotent_response("m1", "/sim", "k2"))->request_hash, "hash-2");
  store_->set_hot(false);
  EXPECT_EQ(count("SELECT COUNT(*) FROM idempotency_keys"), 1);
  ASSERT_TRUE(store_->write_back().ok());
  EXPECT_EQ(count("SELECT COUNT(*) FROM idempotency_keys"), 2);
}

TEST_P(WriteBehindTest, PrefetchFindsKeysWithAnyCharactersAndMoreThanOneStatementsWorth) {
  // Quotes, backslashes, commas and braces: the PostgreSQL lookup sends the keys as one
  // array literal. 150 keys: more than a batch of 64 connections' worth.
  std::vector<std::string> stored{"a\"b", "back\\slash", "comma,{brace}", "NULL", " spaced "};
  for (int i = 0; i < 145; ++i) stored.push_back("key-" + std::to_string(i));
  std::vector<IdempotencyKeyRef> wanted;
  for (std::size_t i = 0; i < stored.size(); ++i) {
    if (i % 2 == 0) {
      const StoredResponse response{"hash-" + stored[i], 201, "application/json", "{}", std::nullopt};
      ASSERT_TRUE(store_->insert_idempotent_response("m1", "/sim", stored[i], response, 1).ok());
    }
    wanted.push_back({"m1", "/sim", stored[i]});
  }
  ASSERT_TRUE(store_->prefetch_idempotent_responses(wanted).ok());
  store_->set_hot(true);
  for (std::size_t i = 0; i < stored.size(); ++i) {
    auto found = store_->find_idempotent_response("m1", "/sim", stored[i]);
    ASSERT_TRUE(found.ok());
    ASSERT_EQ(found->has_value(), i % 2 == 0) << stored[i];
    if (found->has_value()) {
      EXPECT_EQ((*found)->request_hash, "hash-" + stored[i]);
    }
  }
  store_->set_hot(false);
}

// The simulator's authorizations keep their own keys (keys_kept_on_authorizations): the
// batch's lookup finds them on the authorizations, beside the keys an older issuerd stored
// in idempotency_keys before migration 0010, and a key stored during the batch is known to
// the rest of it.
TEST_P(WriteBehindTest, AuthorizationsKeepTheirKeysAndTheLookupFindsThem) {
  const std::string route(authorization_key_route);
  // The database an older issuerd left: at version 9, keys of the route in idempotency_keys.
  database_ = std::make_unique<testing::TestDatabase>(GetParam());
  connection_ = database_->connect_migrated_before(10);
  store_ = std::make_unique<Store>(*connection_, &cache_);
  const std::string card_id = insert_card();
  const std::string merchant_id = cards_.at(card_id).merchant_id;
  auto stamped = [&](const std::string& key, std::optional<std::int64_t> available_after_minor) {
    AuthorizationRecord a = authorization(card_id, 100, 1'000);
    a.merchant_id = merchant_id;
    a.idempotency = IdempotencyStamp{merchant_id, key, "hash-" + key};
    a.available_after_minor = available_after_minor;
    return a;
  };
  // 70 keys, with characters the PostgreSQL array literal must quote: a third on
  // authorizations, a third in idempotency_keys, a third nowhere.
  std::vector<std::string> keys{"a\"b", "comma,{brace}", "back\\slash"};
  for (int i = 0; i < 67; ++i) keys.push_back("key-" + std::to_string(i));
  for (std::size_t i = 1; i < keys.size(); i += 3) {
    ASSERT_TRUE(insert_stored_response(merchant_id, route, keys[i]));
  }
  ASSERT_TRUE(migrate(*connection_).ok());
  EXPECT_EQ(count("SELECT COUNT(*) FROM legacy_idempotency_routes WHERE route = ?", {route}), 1);
  std::map<std::string, std::string> authorization_ids;
  std::vector<IdempotencyKeyRef> wanted;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i % 3 == 0) {
      AuthorizationRecord a = stamped(keys[i], std::int64_t(i));
      ASSERT_TRUE(store_->authorizations().insert(a).ok());
      authorization_ids[keys[i]] = a.authorization_id;
    }
    wanted.push_back({merchant_id, route, keys[i]});
  }
  wanted.push_back({"another-merchant", route, keys[0]});
  const AuthorizationRecord reused = stamped(keys[0], std::nullopt);
  EXPECT_FALSE(store_->authorizations().insert(reused).ok()) << "one authorization per scope and key";
  auto found_uncached = store_->find_idempotent_response(merchant_id, route, keys[0]);
  ASSERT_TRUE(found_uncached.ok() && found_uncached->has_value());
  EXPECT_EQ((*found_uncached)->authorization_id, authorization_ids.at(keys[0]));
  auto kept = store_->authorizations().find(authorization_ids.at(keys[0]));
  ASSERT_TRUE(kept.ok() && kept->has_value());
  ASSERT_TRUE((*kept)->idempotency.has_value());
  EXPECT_EQ((*kept)->idempotency->key, keys[0]);
  EXPECT_EQ((*kept)->idempotency->request_hash, "hash-" + keys[0]);
  EXPECT_EQ((*kept)->available_after_minor, 0);

  ASSERT_TRUE(store_->prefetch_idempotent_responses(wanted).ok());
  store_->set_hot(true);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto found = store_->find_idempotent_response(merchant_id, route, keys[i]);
    ASSERT_TRUE(found.ok());
    ASSERT_EQ(found->has_value(), i % 3 != 2) << keys[i];
    if (!found->has_value()) continue;
    EXPECT_EQ((*found)->request_hash, "hash-" + keys[i]);
    if (i % 3 == 0) {
      EXPECT_EQ((*found)->authorization_id, authorization_ids.at(keys[i])) << keys[i];
    } else {
      EXPECT_EQ((*found)->authorization_id, std::nullopt) << keys[i];
      EXPECT_EQ((*found)->body, "{\"old\":1}");
    }
  }
  EXPECT_FALSE(store_->find_idempotent_response("another-merchant", route, keys[0])->has_value());

  // During the batch: a stamped authorization, and the answer the batch remembers for it.
  const std::int64_t stored_responses = count("SELECT COUNT(*) FROM idempotency_keys");
  const AuthorizationRecord hot = stamped("hot", 5);
  ASSERT_TRUE(store_->authorizations().insert(hot).ok());
  const StoredResponse answered{"hash-hot", 201, "application/json", "{}", std::nullopt};
  store_->remember_idempotent_response(merchant_id, route, "hot", answered);
  EXPECT_EQ((*store_->find_idempotent_response(merchant_id, route, "hot"))->body, "{}");
  // A key the batch did not look up is looked for with the batch's own rows written first.
  const AuthorizationRecord unprefetched = stamped("unprefetched", 6);
  ASSERT_TRUE(store_->authorizations().insert(unprefetched).ok());
  auto late = store_->find_idempotent_response(merchant_id, route, "unprefetched");
  ASSERT_TRUE(late.ok() && late->has_value());
  EXPECT_EQ((*late)->authorization_id, unprefetched.authorization_id);
  store_->set_hot(false);
  ASSERT_TRUE(store_->write_back().ok());
  EXPECT_EQ(count("SELECT COUNT(*) FROM idempotency_keys"), stored_responses) << "the key is on the authorization";
  cache_.drop();
  auto after = store_->find_idempotent_response(merchant_id, route, "hot");
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->authorization_id, hot.authorization_id);
}

// On a database that never held keys of the route in idempotency_keys, the lookup reads the
// authorizations alone (half the probes per key): a row put there behind issuerd's back is
// not found, cached or not. (Rows put anywhere behind its back after its first lookup are
// not found at all: its key filter only learns the keys it writes itself.)
TEST_P(WriteBehindTest, AFreshDatabaseLooksForAuthorizationKeysOnTheAuthorizationsAlone) {
  const std::string route(authorization_key_route);
  const std::string card_id = insert_card();
  const std::string merchant_id = cards_.at(card_id).merchant_id;
  EXPECT_EQ(count("SELECT COUNT(*) FROM legacy_idempotency_routes"), 0);
  ASSERT_TRUE(insert_stored_response(merchant_id, route, "stray"));
  ASSERT_TRUE(insert_stored_response(merchant_id, "/v1/other", "stray"));
  AuthorizationRecord a = authorization(card_id, 100, 1'000);
  a.merchant_id = merchant_id;
  a.idempotency = IdempotencyStamp{merchant_id, "kept", "hash-kept"};
  ASSERT_TRUE(store_->authorizations().insert(a).ok());
  EXPECT_FALSE(store_->find_idempotent_response(merchant_id, route, "stray")->has_value());

  ASSERT_TRUE(store_->prefetch_idempotent_responses({{merchant_id, route, "stray"}, {merchant_id, route, "kept"}}).ok());
  store_->set_hot(true);
  EXPECT_FALSE(store_->find_idempotent_response(merchant_id, route, "stray")->has_value());
  auto kept = store_->find_idempotent_response(merchant_id, route, "kept");
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->authorization_id, a.authorization_id);
  store_->set_hot(false);
  // Other routes' keys are where they always were.
  auto other = store_->find_idempotent_response(merchant_id, "/v1/other", "stray");
  ASSERT_TRUE(other.ok() && other->has_value());
  EXPECT_EQ((*other)->body, "{\"old\":1}");
}

// The key filter (storage/key_filter.h) learns the database's keys at the first lookup, a
// page of 10,000 at a time, and every key the Store writes from then on: a later batch still
// finds both, after the cache was dropped.
TEST_P(WriteBehindTest, TheKeyFilterLearnsStoredKeysAndTheStoresOwn) {
  const std::string route(authorization_key_route);
  ASSERT_TRUE(connection_
                  ->execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10050) "
                            "INSERT INTO idempotency_keys (scope, route, idempotency_key, request_hash, http_status, "
                            "content_type, response_body, created_at_ms) "
                            "SELECT 'm1', '/v1/r', 'old-' || i, 'hash', 201, 'application/json', '{}', 1 FROM n",
                            {})
                  .ok());
  const std::string card_id = insert_card();
  const std::string merchant_id = cards_.at(card_id).merchant_id;
  EXPECT_FALSE(cache_.stored_keys_complete);
  for (const char* key : {"old-1", "old-5000", "old-10000", "old-10050"}) {
    auto found = store_->find_idempotent_response("m1", "/v1/r", key);
    ASSERT_TRUE(found.ok() && found->has_value()) << key;
  }
  EXPECT_TRUE(cache_.stored_keys_complete);
  EXPECT_GE(cache_.stored_keys.keys_added(), 10'050u);
  EXPECT_FALSE(store_->find_idempotent_response("m1", "/v1/r", "old-10051")->has_value());

  // Written through the Store after the filter was complete: a stored response, in a hot
  // command and outside one, and an authorization keeping its key.
  const StoredResponse response{"hash-new", 201, "application/json", "{}", std::nullopt};
  ASSERT_TRUE(store_->insert_idempotent_response("m1", "/v1/r", "new-direct", response, 2).ok());
  store_->set_hot(true);
  ASSERT_TRUE(store_->insert_idempotent_response("m1", "/v1/r", "new-buffered", response, 2).ok());
  AuthorizationRecord a = authorization(card_id, 100, 1'000);
  a.merchant_id = merchant_id;
  a.idempotency = IdempotencyStamp{merchant_id, "new-kept", "hash-kept"};
  ASSERT_TRUE(store_->authorizations().insert(a).ok());
  store_->set_hot(false);
  ASSERT_TRUE(store_->write_back().ok());
  store_->drop_cache();

  ASSERT_TRUE(store_->prefetch_idempotent_responses({{"m1", "/v1/r", "new-direct"},
                                                     {"m1", "/v1/r", "new-buffered"},
                                                     {"m1", "/v1/r", "old-42"},
                                                     {merchant_id, route, "new-kept"},
                                                     {merchant_id, route, "never"}})
                  .ok());
  store_->set_hot(true);
  for (const char* key : {"new-direct", "new-buffered", "old-42"}) {
    auto found = store_->find_idempotent_response("m1", "/v1/r", key);
    ASSERT_TRUE(found.ok() && found->has_value()) << key;
  }
  auto kept = store_->find_idempotent_response(merchant_id, route, "new-kept");
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->authorization_id, a.authorization_id);
  EXPECT_FALSE(store_->find_idempotent_response(merchant_id, route, "never")->has_value());
  store_->set_hot(false);
}

TEST_P(WriteBehindTest, DropForgetsBufferedRowsAndCachedAccounts) {
  ASSERT_TRUE(store_->find_or_create_account(AccountKind::card, "c1", "USD", 1).ok());
  store_->set_hot(true);
  domain::Account account = *store_->find_account(AccountKind::card, "c1", "USD").value();
  account.held_minor = 5;
  ASSERT_TRUE(store_->save_account(account).ok());
  ASSERT_TRUE(store_->authorizations().insert(authorization("c1", 5, 1)).ok());
  store_->drop_cache();  // as after a failed commit
  EXPECT_TRUE(cache_.buffers_empty());
  EXPECT_EQ((*store_->find_account(AccountKind::card, "c1", "USD"))->held_minor, 0);  // read again
  store_->set_hot(false);
  ASSERT_TRUE(store_->write_back().ok());
  EXPECT_EQ(count("SELECT COUNT(*) FROM authorizations"), 0);
}

TEST_P(WriteBehindTest, WritesOutsideHotCommandsMakeTheCacheForgetTheRow) {
  const std::string card_id = insert_card();
  ASSERT_TRUE(store_->find_or_create_account(AccountKind::card, "c1", "USD", 1).ok());
  ASSERT_TRUE(store_->warm_cache().ok());
  EXPECT_EQ(cache_.accounts.size(), 1u);
  EXPECT_EQ(cache_.cards.count(card_id), 1u);
  EXPECT_TRUE(cache_.controls_complete);
  // A write behind the Store's back is not seen: the cache serves the row...
  ASSERT_TRUE(connection_->execute("UPDATE accounts SET balance_minor = 9", {}).ok());
  store_->set_hot(true);
  EXPECT_EQ((*store_->find_account(AccountKind::card, "c1", "USD"))->balance_minor, 0);
  store_->set_hot(false);
  // ...a write through the Store (an ordinary command) makes it read the row again.
  domain::Account account = *store_->find_account(AccountKind::card, "c1", "USD").value();
  account.balance_minor = 12;
  ASSERT_TRUE(store_->save_account(account).ok());
  store_->set_hot(true);
  EXPECT_EQ((*store_->find_account(AccountKind::card, "c1", "USD"))->balance_minor, 12);
  // After warm-up, a card without controls has none without asking; a control added
  // through the Store is seen.
  EXPECT_TRUE(store_->cards().list_controls(card_id)->empty());
  store_->set_hot(false);
  ASSERT_TRUE(store_->cards().upsert_control({card_id, "PURCHASE", "DAY", 500, "USD", true, 1, 1}).ok());
  store_->set_hot(true);
  auto controls = store_->cards().list_controls(card_id);
  ASSERT_TRUE(controls.ok());
  ASSERT_EQ(controls->size(), 1u);
  EXPECT_EQ((*controls)[0].amount_limit_minor, 500);
  store_->set_hot(false);
}

INSTANTIATE_TEST_SUITE_P(Databases, WriteBehindTest, ::testing::ValuesIn(testing::dialects_under_test()),
                         [](const auto& info) { return testing::dialect_name(info.param); });

}  // namespace
}  // namespace issuerd::storage
