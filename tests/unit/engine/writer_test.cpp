#include "engine/writer.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <future>
#include <optional>
#include <thread>

#include "common/ids.h"
#include "engine/transfers.h"
#include "storage/migrations.h"
#include "support/test_database.h"

namespace issuerd::engine {
namespace {

using domain::AccountKind;

class WriterTest : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override {
    database_ = std::make_unique<testing::TestDatabase>(GetParam());
    auto connection = database_->connect_migrated();
    writer_ = std::make_unique<Writer>(std::move(connection), metrics_);
    writer_->start();
  }
  void TearDown() override { writer_.reset(); }

  std::int64_t balance(AccountKind kind, const std::string& owner) {
    auto connection = database_->connect();
    storage::Store store(*connection);
    auto account = store.find_account(kind, owner, "USD");
    EXPECT_TRUE(account.ok());
    return account.ok() && *account ? (*account)->balance_minor : 0;
  }

  // Submits a deposit (or a withdrawal) of `amount` to merchant "m" and returns a future
  // of (kept, durable).
  // `hot`: run on the writer's cached rows (Command::hot). `fail_after`: report failure even
  // when the move was made (a hot command that does so fails its whole batch).
  std::future<std::pair<bool, bool>> submit_move(std::int64_t amount, bool deposit, bool hot = false,
                                                 bool fail_after = false) {
    auto promise = std::make_shared<std::promise<std::pair<bool, bool>>>();
    auto kept = std::make_shared<bool>(false);
    Command command;
    command.hot = hot;
    command.apply = [amount, deposit, kept, fail_after](storage::Store& store) {
      const AccountRef world{AccountKind::world, "", "USD"};
      const AccountRef main{AccountKind::merchant_main, "m", "USD"};
      auto posted = deposit ? post_transfer(store, world, main, amount, "deposit", "t", 1)
                            : post_transfer(store, main, world, amount, "withdrawal", "t", 1);
      return *kept = posted.ok() && !fail_after;
    };
    command.done = [promise, kept](bool durable) { promise->set_value({*kept, durable}); };
    EXPECT_TRUE(writer_->submit(std::move(command)));
    return promise->get_future();
  }

  Metrics metrics_;
  std::unique_ptr<testing::TestDatabase> database_;
  std::unique_ptr<Writer> writer_;
};

TEST_P(WriterTest, FailedCommandDoesNotDisturbItsBatch) {
  auto first = submit_move(1000, true);
  auto overdraw = submit_move(5000, false);  // refused: only 1000 there
  auto second = submit_move(250, true);
  EXPECT_EQ(first.get(), std::make_pair(true, true));
  EXPECT_EQ(overdraw.get(), std::make_pair(false, true));
  EXPECT_EQ(second.get(), std::make_pair(true, true));
  EXPECT_EQ(balance(AccountKind::merchant_main, "m"), 1250);
  EXPECT_EQ(balance(AccountKind::world, ""), -1250);
}

// Holds the writer inside a batch until release() so that what is submitted meanwhile
// lands in the next batch together. The constructor returns once the writer is inside:
// a command submitted before the writer took its queue would share the pause's batch.
class WriterPause {
 public:
  explicit WriterPause(Writer& writer) {
    Command command;
    command.apply = [this](storage::Store&) {
      started_.set_value();
      released_.get_future().wait();
      return true;
    };
    command.done = [](bool) {};
    EXPECT_TRUE(writer.submit(std::move(command)));
    started_.get_future().wait();
  }
  void release() { released_.set_value(); }

 private:
  std::promise<void> started_;
  std::promise<void> released_;
};

TEST_P(WriterTest, HotAndOrdinaryCommandsSeeOneAnother) {
  WriterPause pause(*writer_);
  auto deposit = submit_move(1000, true, /*hot=*/true);
  auto withdrawal = submit_move(400, false);             // ordinary: must see the hot deposit
  auto overdraw = submit_move(700, false, /*hot=*/true);  // refused: 600 left, changes nothing
  auto topping = submit_move(50, true, /*hot=*/true);
  pause.release();
  EXPECT_EQ(deposit.get(), std::make_pair(true, true));
  EXPECT_EQ(withdrawal.get(), std::make_pair(true, true));
  EXPECT_EQ(overdraw.get(), std::make_pair(false, true));
  EXPECT_EQ(topping.get(), std::make_pair(true, true));
  EXPECT_EQ(balance(AccountKind::merchant_main, "m"), 650);
  EXPECT_EQ(balance(AccountKind::world, ""), -650);
}

TEST_P(WriterTest, HotCommandThatFailsAfterChangingRowsFailsItsBatch) {
  ASSERT_EQ(submit_move(100, true, /*hot=*/true).get(), std::make_pair(true, true));
  WriterPause pause(*writer_);
  auto neighbour = submit_move(10, true, /*hot=*/true);
  auto broken = submit_move(20, true, /*hot=*/true, /*fail_after=*/true);
  pause.release();
  EXPECT_FALSE(neighbour.get().second);  // not durable: the batch was rolled back
  EXPECT_FALSE(broken.get().second);
  EXPECT_EQ(balance(AccountKind::merchant_main, "m"), 100);
  // The cache went with the transaction: the next command sees the database as it is.
  EXPECT_EQ(submit_move(5, true, /*hot=*/true).get(), std::make_pair(true, true));
  EXPECT_EQ(balance(AccountKind::merchant_main, "m"), 105);
}

// A hot command that runs `body` and then holds the writer until release(), so that what is
// submitted meanwhile forms the next batch. The constructor returns once the writer is in it.
class HotPause {
 public:
  HotPause(Writer& writer, std::function<bool(storage::Store&)> body) {
    Command command;
    command.hot = true;
    command.apply = [this, body = std::move(body)](storage::Store& store) {
      const bool kept = body(store);
      started_.set_value();
      released_.get_future().wait();
      return kept;
    };
    command.done = [this](bool durable) { durable_.set_value(durable); };
    EXPECT_TRUE(writer.submit(std::move(command)));
    started_.get_future().wait();
  }
  void release() { released_.set_value(); }
  bool durable() { return durable_.get_future().get(); }

 private:
  std::promise<void> started_;
  std::promise<void> released_;
  std::promise<bool> durable_;
};

// On PostgreSQL the writer applies the next batch while a commit is in flight, on the cache
// that commit's batch left; when that commit fails, the next batch must fail with it. (On
// SQLite, which commits at once, the commit is over before the next batch starts, which
// then commits alone.)
TEST_P(WriterTest, ABatchAppliedWhileACommitFailsFailsWithIt) {
  const storage::StoredResponse response{"hash", 201, "application/json", "{}", std::nullopt};
  ASSERT_TRUE(writer_->run_now([&](storage::Store& store) {
    return store.insert_idempotent_response("m", "/t", "taken", response, 1).ok();
  }));
  HotPause doomed(*writer_, [&](storage::Store& store) {
    const AccountRef world{AccountKind::world, "", "USD"};
    const AccountRef main{AccountKind::merchant_main, "m", "USD"};
    // Buffered: the key already exists, so the batch's write-back, and its commit, fail.
    return post_transfer(store, world, main, 100, "deposit", "t", 1).ok() &&
           store.insert_idempotent_response("m", "/t", "taken", response, 2).ok();
  });
  auto next = submit_move(10, true, /*hot=*/true);
  doomed.release();
  EXPECT_FALSE(doomed.durable());
  const bool overlapped = database_->connect()->commits_in_background();
  EXPECT_EQ(next.get(), std::make_pair(true, !overlapped));
  EXPECT_EQ(balance(AccountKind::merchant_main, "m"), overlapped ? 0 : 10);
  // Nothing of either is left in the cache.
  EXPECT_EQ(submit_move(5, true, /*hot=*/true).get(), std::make_pair(true, true));
  EXPECT_EQ(balance(AccountKind::merchant_main, "m"), overlapped ? 5 : 15);
}

// The stored answer of key "k1", and a hold on its commit: on PostgreSQL another
// transaction inserts the same key and does not finish (release() ends it), so the
// write-back of a batch that stores k1 waits for it. Nothing to hold on SQLite.
class KeyOnHold {
 public:
  explicit KeyOnHold(testing::TestDatabase& database) {
    if (!database.connect()->commits_in_background()) return;
    blocker_ = database.connect();
    EXPECT_TRUE(blocker_->begin().ok());
    EXPECT_TRUE(storage::Store(*blocker_).insert_idempotent_response("m", "/t", "k1", response, 1).ok());
  }
  bool holds() const { return blocker_ != nullptr; }
  void release() {
    if (blocker_) {
      EXPECT_TRUE(blocker_->rollback().ok());
    }
  }
  bool store(storage::Store& store) const {
    return store.insert_idempotent_response("m", "/t", "k1", response, 1).ok();
  }

  const storage::StoredResponse response{"hash-1", 201, "application/json", "{\"first\":true}", std::nullopt};

 private:
  std::unique_ptr<storage::Connection> blocker_;
};

// A hot command that looks key "k1" up and hands over what it found, then whether it is durable.
struct KeyLookup {
  Command command() {
    Command lookup;
    lookup.hot = true;
    lookup.idempotency_key = storage::IdempotencyKeyRef{"m", "/t", "k1"};
    lookup.apply = [this](storage::Store& store) {
      auto found = store.find_idempotent_response("m", "/t", "k1");
      seen.set_value(found.ok() ? *found : std::nullopt);
      return true;
    };
    lookup.done = [this](bool durable_now) { durable.set_value(durable_now); };
    return lookup;
  }
  std::promise<std::optional<storage::StoredResponse>> seen;
  std::promise<bool> durable;
};

// A key stored by the batch in flight is not in the database yet, for a reader; the next
// batch still finds it (the cache keeps the previous batch's keys for its lookup). On
// PostgreSQL the batch in flight is held there (KeyOnHold) until the lookup has run. (On
// SQLite, which commits at once, the key is simply in the database by then.)
TEST_P(WriterTest, TheNextBatchFindsTheKeysOfTheBatchInFlight) {
  KeyOnHold hold(*database_);
  HotPause storing(*writer_, [&hold](storage::Store& store) { return hold.store(store); });
  KeyLookup lookup;
  ASSERT_TRUE(writer_->submit(lookup.command()));
  storing.release();
  auto found = lookup.seen.get_future().get();
  hold.release();  // lets the batch in flight commit
  EXPECT_TRUE(storing.durable());
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->body, hold.response.body);
  EXPECT_TRUE(lookup.durable.get_future().get());
}

// On PostgreSQL a hot command that arrives while the batch in flight has not committed
// joins the batch being applied, and still finds the keys that batch in flight stored. The
// batch in flight is held as above; the command arrives from inside the next batch (its
// first command submits it). On SQLite, which commits at once, the command forms a batch of
// its own and finds the key in the database.
TEST_P(WriterTest, CommandsArrivingWhileACommitIsInFlightJoinTheNextBatch) {
  KeyOnHold hold(*database_);
  HotPause storing(*writer_, [&hold](storage::Store& store) { return hold.store(store); });
  KeyLookup joining;
  Command first;
  first.hot = true;
  first.idempotency_key = storage::IdempotencyKeyRef{"m", "/t", "k2"};
  first.apply = [this, &joining](storage::Store&) { return writer_->submit(joining.command()); };
  std::promise<bool> first_durable;
  first.done = [&first_durable](bool durable) { first_durable.set_value(durable); };
  ASSERT_TRUE(writer_->submit(std::move(first)));
  storing.release();
  // Without joining, the command would wait for the commit that the hold keeps back.
  auto seen = joining.seen.get_future();
  const bool applied_in_time = seen.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
  hold.release();
  EXPECT_TRUE(applied_in_time);
  const auto found = seen.get();
  EXPECT_TRUE(storing.durable());
  EXPECT_TRUE(first_durable.get_future().get());
  EXPECT_TRUE(joining.durable.get_future().get());
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->body, hold.response.body);
  // The holder's batch, then the first command's with the one that joined it (on SQLite a
  // batch each).
  const std::string commits = "issuerd_commits_total " + std::to_string(hold.holds() ? 2 : 3) + "\n";
  EXPECT_NE(metrics_.render().find(commits), std::string::npos) << metrics_.render();
}

TEST_P(WriterTest, ConcurrentSubmittersNeverOverdraw) {
  ASSERT_TRUE(submit_move(10 * 100, true).get().first);
  std::vector<std::future<std::pair<bool, bool>>> results;
  std::mutex results_mutex;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto future = submit_move(100, false);
        std::lock_guard lock(results_mutex);
        results.push_back(std::move(future));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  int approved = 0;
  for (auto& result : results) approved += result.get().first ? 1 : 0;
  EXPECT_EQ(approved, 10);  // exactly the balance, never more
  EXPECT_EQ(balance(AccountKind::merchant_main, "m"), 0);
}

TEST_P(WriterTest, BatchesAreCommittedTogether) {
  std::vector<std::future<std::pair<bool, bool>>> results;
  for (int i = 0; i < 500; ++i) results.push_back(submit_move(1, true));
  for (auto& result : results) EXPECT_EQ(result.get(), std::make_pair(true, true));
  EXPECT_EQ(balance(AccountKind::merchant_main, "m"), 500);
  // 500 commands needed far fewer commits than commands.
  const std::string rendered = metrics_.render();
  EXPECT_NE(rendered.find("issuerd_committed_commands_total 500"), std::string::npos);
}

TEST_P(WriterTest, RunNowReportsCommit) {
  EXPECT_TRUE(writer_->run_now([](storage::Store& store) {
    return post_transfer(store, {AccountKind::world, "", "USD"}, {AccountKind::merchant_main, "x", "USD"}, 5, "deposit",
                         "r", 1).ok();
  }));
  EXPECT_FALSE(writer_->run_now([](storage::Store&) { return false; }));
  EXPECT_EQ(balance(AccountKind::merchant_main, "x"), 5);
}

// Queues an outbox event: deliverable ("pending", a merchant with a webhook) or not
// ("failed": no webhook), as engine::enqueue_callback_text decides. `answered` counts the
// answers given.
Command queue_callback(bool deliverable, std::promise<bool>& durable, std::atomic<int>& answered) {
  Command command;
  command.apply = [deliverable](storage::Store& store) {
    storage::OutboxEvent event;
    event.event_id = next_id();
    event.merchant_id = "m";
    event.event_type = "TEST";
    event.payload = "{}";
    event.status = deliverable ? "pending" : "failed";
    return store.outbox().insert(event).ok();
  };
  command.done = [&durable, &answered](bool committed) {
    ++answered;
    durable.set_value(committed);
  };
  return command;
}

TEST_P(WriterTest, TheDelivererIsWokenOncePerBatchThatQueuedADeliverableCallback) {
  writer_.reset();  // the hook is set before start
  writer_ = std::make_unique<Writer>(database_->connect_migrated(), metrics_);
  std::atomic<int> wakes{0};
  std::atomic<int> answered{0};
  std::atomic<int> answered_at_first_wake{-1};
  std::promise<bool> first, second, third, undeliverable, nothing;
  writer_->on_callbacks_queued([&] {
    // Woken before its batch is answered: the callbacks are committed by then.
    if (wakes.fetch_add(1) == 0) answered_at_first_wake = answered.load();
  });
  writer_->start();
  WriterPause pause(*writer_);
  ASSERT_TRUE(writer_->submit(queue_callback(true, first, answered)));
  ASSERT_TRUE(writer_->submit(queue_callback(true, second, answered)));
  ASSERT_TRUE(writer_->submit(queue_callback(true, third, answered)));
  pause.release();
  EXPECT_TRUE(first.get_future().get() && second.get_future().get() && third.get_future().get());
  EXPECT_EQ(wakes.load(), 1);  // three callbacks, one batch, one wake
  EXPECT_EQ(answered_at_first_wake.load(), 0);

  ASSERT_TRUE(writer_->submit(queue_callback(false, undeliverable, answered)));
  EXPECT_TRUE(undeliverable.get_future().get());
  Command plain;
  plain.apply = [](storage::Store&) { return true; };
  plain.done = [&nothing](bool committed) { nothing.set_value(committed); };
  ASSERT_TRUE(writer_->submit(std::move(plain)));
  EXPECT_TRUE(nothing.get_future().get());
  EXPECT_EQ(wakes.load(), 1);  // nothing deliverable since
}

TEST_P(WriterTest, TheWriterThreadTakesItsNiceValue) {
  writer_.reset();  // set before start
  writer_ = std::make_unique<Writer>(database_->connect_migrated(), metrics_);
  // A positive value needs no privilege, so the test holds wherever it runs.
  writer_->set_thread_nice(7);
  writer_->start();
  const int before_on_this_thread = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  std::atomic<int> on_writer{-100};
  EXPECT_TRUE(writer_->run_now([&on_writer](storage::Store&) {
    on_writer = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
    return true;
  }));
  EXPECT_EQ(on_writer.load(), 7);
  // Only the writer's thread: the caller's stays as it was.
  EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())), before_on_this_thread);
}

INSTANTIATE_TEST_SUITE_P(Databases, WriterTest, ::testing::ValuesIn(testing::dialects_under_test()),
                         [](const auto& info) { return testing::dialect_name(info.param); });

}  // namespace
}  // namespace issuerd::engine
