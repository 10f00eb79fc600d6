// Crash consistency on both databases: client threads run authorizations, captures, refunds,
// top-ups and quota adjustments while the test SIGKILLs issuerd at random moments (at least
// 20 times) and starts it again. Afterwards: every request that was answered with success is
// there exactly once, nothing unanswered is half-applied (ledger invariants, through the
// API and straight from the database), no forbidden negative balance, holds on the card
// accounts match the pending authorizations, and each card's window usage is what its
// approved authorizations still count (held plus captured).
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "common/clock.h"
#include "musepay_client.h"
#include "storage/store.h"

namespace issuerd::e2e {
namespace {

using namespace std::chrono_literals;

constexpr int kills_min = 20;
constexpr int workers = 4;

struct Acknowledged {
  std::mutex mutex;
  std::map<std::string, std::string> approved;       // authorization_id -> card_id
  std::set<std::string> captured;                    // authorization_id
  std::set<std::string> refunded;                    // refund_id
  std::map<std::string, std::pair<std::string, std::string>> top_ups;  // request_id -> {card_id, order_no}
  std::map<std::string, std::string> top_up_bodies;  // request_id -> the answer
  std::set<std::string> adjustments;                 // request_id
  // Idempotency-Key -> {the request, its answer} of every answered authorization
  std::map<std::string, std::pair<bj::object, bj::value>> authorizations;
  std::atomic<int> answered{0};
  std::atomic<int> unanswered{0};
};

class CrashConsistency : public E2eTest {
 protected:
  // One request on a fresh connection to the server as it is now; status 0 when there was
  // no answer (the server was down or died mid-request).
  std::pair<int, bj::value> post(std::uint16_t port, const std::string& path, const bj::object& body, Headers headers) {
    http::Client client("127.0.0.1", port, 3000);
    auto response = client.request("POST", path, headers, bj::serialize(body));
    if (!response.ok()) return {0, nullptr};
    boost::system::error_code ec;
    bj::value json = bj::parse(response->body, ec);
    return {response->status, ec ? bj::value(nullptr) : json};
  }

  bj::object musepay_body(bj::object body) {
    body["partner_id"] = merchant_id_;
    body["timestamp"] = std::to_string(wall_clock_ms());
    body["nonce"] = std::to_string(nonce_.fetch_add(1)) + "-crash";
    return body;
  }

  void work(int worker, Acknowledged& ack, const std::atomic<bool>& stop) {
    std::mt19937 random(static_cast<unsigned>(worker * 7919 + 17));
    int n = 0;
    while (!stop) {
      const std::uint16_t port = port_.load();
      const std::string key = "w" + std::to_string(worker) + "-" + std::to_string(++n);
      const Headers sim_headers{{"x-api-key", api_key_}, {"Idempotency-Key", key}};
      const Headers musepay_headers{{"x-api-key", api_key_}};
      const int op = static_cast<int>(random() % 10);
      std::pair<int, bj::value> reply;
      if (op < 4) {
        const auto& [card, user] = cards_[random() % cards_.size()];
        const bj::object body{{"card_id", card}, {"amount", std::to_string(1 + random() % 20) + ".00"}, {"currency", "USD"}};
        reply = post(port, "/sim/v1/authorizations", body, sim_headers);
        if (reply.first == 201) {
          std::lock_guard lock(ack.mutex);
          ack.authorizations[key] = {body, reply.second};
          if (reply.second.at("status").as_string() == "APPROVED") {
            ack.approved[std::string(reply.second.at("authorization_id").as_string())] = card;
          }
        }
      } else if (op < 6) {
        std::string id;
        {
          std::lock_guard lock(ack.mutex);
          if (ack.approved.empty()) continue;
          auto it = ack.approved.begin();
          std::advance(it, static_cast<long>(random() % ack.approved.size()));
          id = it->first;
        }
        const bool capture = random() % 3 != 0;
        reply = post(port, "/sim/v1/authorizations/" + id + (capture ? "/capture" : "/reverse"), bj::object{}, sim_headers);
        if (reply.first == 200 && capture) {
          std::lock_guard lock(ack.mutex);
          ack.captured.insert(id);
        }
      } else if (op < 7) {
        std::string id;
        {
          std::lock_guard lock(ack.mutex);
          if (ack.captured.empty()) continue;
          auto it = ack.captured.begin();
          std::advance(it, static_cast<long>(random() % ack.captured.size()));
          id = *it;
        }
        reply = post(port, "/sim/v1/refunds", bj::object{{"authorization_id", id}, {"amount", "0.50"}}, sim_headers);
        if (reply.first == 201) {
          std::lock_guard lock(ack.mutex);
          ack.refunded.insert(std::string(reply.second.at("refund_id").as_string()));
        }
      } else if (op < 9) {
        const auto& [card, user] = cards_[random() % cards_.size()];
        reply = post(port, "/v1/cardaccount/topup",
                     musepay_body(bj::object{{"request_id", key}, {"card_id", card}, {"user_id", user},
                                             {"amount", "1.00"}, {"currency", "USD"}}),
                     musepay_headers);
        if (reply.first == 200) {
          std::lock_guard lock(ack.mutex);
          ack.top_ups[key] = {card, std::string(reply.second.at("data").at("order_no").as_string())};
          ack.top_up_bodies[key] = bj::serialize(reply.second);
        }
      } else {
        reply = post(port, "/v1/card/share-quota/quota/tx/adjustment",
                     musepay_body(bj::object{{"share_quota_id", quota_id_}, {"request_id", key},
                                             {"amount", random() % 2 == 0 ? "2.00" : "-1.00"}}),
                     musepay_headers);
        if (reply.first == 200) {
          std::lock_guard lock(ack.mutex);
          ack.adjustments.insert(key);
        }
      }
      if (reply.first == 0) {
        ++ack.unanswered;
        std::this_thread::sleep_for(5ms);  // down: do not spin while it restarts
      } else {
        ++ack.answered;
        EXPECT_LT(reply.first, 500) << bj::serialize(reply.second);
      }
    }
  }

  std::string merchant_id_, api_key_, quota_id_;
  std::vector<std::pair<std::string, std::string>> cards_;  // {card_id, user_id}
  std::atomic<std::uint16_t> port_{0};
  std::atomic<int> nonce_{0};
};

std::int64_t single_integer(storage::Connection& connection, const std::string& sql, const std::string& param) {
  auto rows = connection.query(sql, std::vector<storage::SqlValue>{param});
  EXPECT_TRUE(rows.ok()) << sql;
  if (!rows.ok() || rows->empty() || (*rows)[0].is_null(0)) return 0;
  return (*rows)[0].integer(0);
}

TEST_P(CrashConsistency, AnsweredWritesSurviveSigkillExactlyOnce) {
  std::tie(merchant_id_, api_key_) = create_merchant("Crash");
  deposit(merchant_id_, "100000.00");
  MusePayClient musepay(*this, merchant_id_, api_key_);
  const std::string product = create_product();
  for (int i = 0; i < 3; ++i) {
    const std::string user = musepay.create_holder("crash-" + std::to_string(i));
    const std::string card = musepay.issue_card(user, product);
    ASSERT_FALSE(card.empty());
    ASSERT_EQ(musepay.call("/v1/cardaccount/topup", bj::object{{"request_id", "seed-" + card}, {"card_id", card},
                                                               {"user_id", user}, {"amount", "500.00"},
                                                               {"currency", "USD"}}).status,
              200);
    cards_.emplace_back(card, user);
  }
  Reply quota = musepay.call("/v1/card/share-quota/quota/create",
                             bj::object{{"request_id", "crash-quota"}, {"card_product_id", product}, {"card_level", "1"},
                                        {"share_quota_name", "Crash"}});
  ASSERT_EQ(quota.status, 200) << quota.body;
  quota_id_ = std::string(quota["data"].at("share_quota_id").as_string());
  port_ = server_->port();

  Acknowledged ack;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) threads.emplace_back([this, w, &ack, &stop] { work(w, ack, stop); });
  std::mt19937 random(4242);
  int kills = 0;
  const auto started = std::chrono::steady_clock::now();
  while (kills < kills_min) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + random() % 400));
    server_->kill_hard();
    ++kills;
    server_->restart();
    port_ = server_->port();
  }
  std::this_thread::sleep_for(300ms);  // a last stretch of answered work after the last restart
  stop = true;
  for (auto& thread : threads) thread.join();
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  client_ = std::make_unique<http::Client>(server_->client());
  std::cout << "[ crash    ] " << kills << " SIGKILLs in " << seconds << " s; " << ack.answered << " requests answered, "
            << ack.unanswered << " unanswered; acknowledged: " << ack.approved.size() << " approvals, "
            << ack.captured.size() << " captures, " << ack.refunded.size() << " refunds, " << ack.top_ups.size()
            << " top-ups, " << ack.adjustments.size() << " quota adjustments\n";
  EXPECT_GE(kills, kills_min);
  EXPECT_GT(ack.approved.size(), 0u);
  EXPECT_GT(ack.top_ups.size(), 0u);

  // Every answered approval and capture is there.
  for (const auto& [id, card] : ack.approved) {
    Reply found = call("GET", "/sim/v1/authorizations/" + id, {}, {{"x-api-key", api_key_}});
    ASSERT_EQ(found.status, 200) << "approved authorization " << id << " is gone: " << found.body;
    EXPECT_EQ(found.text("status"), "APPROVED");
    EXPECT_EQ(found.text("card_id"), card);
    if (ack.captured.count(id) != 0) {
      EXPECT_EQ(found.text("state"), "captured") << found.body;
    }
  }
  // Every answered authorization replays its first answer, though it may have been captured,
  // reversed or refunded since, and the server killed in between.
  for (const auto& [key, request_and_answer] : ack.authorizations) {
    const auto& [body, answer] = request_and_answer;
    auto replay = post(port_, "/sim/v1/authorizations", body, {{"x-api-key", api_key_}, {"Idempotency-Key", key}});
    EXPECT_EQ(replay.first, 201) << key;
    EXPECT_EQ(replay.second, answer) << key;
  }
  // Every answered top-up shows exactly once, and a retry replays it.
  for (const auto& [request_id, card_and_order] : ack.top_ups) {
    const auto& [card, order_no] = card_and_order;
    std::string user;
    for (const auto& [c, u] : cards_) {
      if (c == card) user = u;
    }
    Reply listed = musepay.call("/v1/cardaccount/transactions",
                                bj::object{{"card_id", card}, {"user_id", user}, {"order_no", order_no}});
    ASSERT_EQ(listed.status, 200) << listed.body;
    EXPECT_EQ(listed["data"].at("total_count").as_int64(), 1) << "top-up " << request_id << ": " << listed.body;
  }
  int replays = 0;
  for (const auto& [request_id, body] : ack.top_up_bodies) {
    if (++replays > 10) break;
    const auto& [card, order_no] = ack.top_ups[request_id];
    std::string user;
    for (const auto& [c, u] : cards_) {
      if (c == card) user = u;
    }
    Reply again = musepay.call("/v1/cardaccount/topup", bj::object{{"request_id", request_id}, {"card_id", card},
                                                                   {"user_id", user}, {"amount", "1.00"},
                                                                   {"currency", "USD"}});
    EXPECT_EQ(again.body, body) << "the retry of an answered top-up is not its replay";
  }
  // Every answered quota adjustment shows exactly once.
  for (const std::string& request_id : ack.adjustments) {
    Reply listed = musepay.call("/v1/card/share-quota/quota/tx/list",
                                bj::object{{"share_quota_id", quota_id_}, {"request_id", request_id}});
    ASSERT_EQ(listed.status, 200) << listed.body;
    EXPECT_EQ(listed["data"].at("total").as_int64(), 1) << "adjustment " << request_id << ": " << listed.body;
  }

  // Nothing half-applied: the ledger, holds and window usage agree.
  expect_ledger_invariants();
  auto connection = database_->connect();
  for (const auto& [card, user] : cards_) {
    const std::int64_t counted = single_integer(
        *connection, "SELECT SUM(counted_minor) FROM authorizations WHERE card_id = ? AND status = 'APPROVED'", card);
    const std::int64_t held_and_posted = single_integer(
        *connection, "SELECT SUM(held_minor + captured_minor) FROM authorizations WHERE card_id = ? AND status = 'APPROVED'",
        card);
    EXPECT_EQ(counted, held_and_posted) << "card " << card;
    const std::int64_t pending = single_integer(
        *connection, "SELECT SUM(held_minor) FROM authorizations WHERE card_id = ? AND status = 'APPROVED'", card);
    const std::int64_t account_held = single_integer(
        *connection, "SELECT held_minor FROM accounts WHERE kind = 'card' AND owner_id = ?", card);
    EXPECT_EQ(account_held, pending) << "card " << card << ": the account's holds are not its pending authorizations";
    const std::int64_t declined_with_money = single_integer(
        *connection, "SELECT COUNT(*) FROM authorizations WHERE card_id = ? AND status = 'DECLINED' AND "
                     "(held_minor <> 0 OR captured_minor <> 0 OR counted_minor <> 0)",
        card);
    EXPECT_EQ(declined_with_money, 0) << "card " << card;
  }
}

ISSUERD_E2E_SUITE(CrashConsistency);

}  // namespace
}  // namespace issuerd::e2e
