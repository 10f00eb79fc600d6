// The authorization path without sockets: POST /sim/v1/authorizations handed straight to
// its route handler, as the HTTP server does once it has parsed a request, on a real SQLite
// file with the real single writer and durable commits (synchronous=FULL). So it measures
// the handler (authentication, JSON, the idempotency key), the writer's batch and the
// commit, and none of TCP, Beast or wrk, which share the same 2 cores in bench/run.py's
// figures. Where the two differ is what HTTP costs; this one is the database path's ceiling.
//
//   build-bench/bench/engine_benchmark [--benchmark_min_time=3] [--benchmark_filter=...]
//   ENGINE_BENCH_DATABASE=postgresql:///db?host=... build-bench/bench/engine_benchmark
//
// Without ENGINE_BENCH_DATABASE it uses a new SQLite file in /tmp; a PostgreSQL database
// given there must be empty (bench/run.py makes one).
//
// BM_EngineAuthorize/N keeps N requests in flight (wrk's N connections): one thread plays
// the clients, sending the next request as each answer arrives, so the writer's batches
// form as they do behind the HTTP server. The data set: engine_benchmark_cards standard
// cards with their own balances (bench/setup_data.py's uniform mix) and as many shared
// cards, each with a card limit, drawing on one budget quota (its hot mix), which
// BM_EngineAuthorizeHotQuota/N drives; amounts as bench/authorize.lua's, so about 5 %
// decline. items_per_second is authorizations per second (every answer is a 201 with a body,
// checked); mean_batch is commands per commit.
#include <benchmark/benchmark.h>

#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "api/shared/services.h"
#include "api/sim/sim_api.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/metrics.h"
#include "crypto/hashing.h"
#include "engine/card_issuing.h"
#include "engine/transfers.h"
#include "engine/writer.h"
#include "http/router.h"
#include "storage/migrations.h"
#include "storage/reader_pool.h"

namespace {

using namespace issuerd;

constexpr int engine_benchmark_cards = 2000;
constexpr std::int64_t card_balance_minor = 2'000'000'000;  // never runs dry in a benchmark
const std::string api_key = "bench-api-key";

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "engine_benchmark: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T must(Result<T> result, const char* what) {
  if (!result.ok()) die(std::string(what) + ": " + result.error().message);
  return std::move(result).value();
}

// A counter of Metrics::render()'s text ("name value" lines).
double metric(const Metrics& metrics, const std::string& name) {
  const std::string text = metrics.render();
  const std::string needle = "\n" + name + " ";
  const auto at = text.find(needle);
  return at == std::string::npos ? 0.0 : std::stod(text.substr(at + needle.size()));
}

struct Cards {
  std::vector<std::string> standard;   // each with its own balance
  std::vector<std::string> hot_quota;  // shared cards on one budget quota
};

// Funds what a card draws on: its own balance, or (the first card on it) the shared quota.
bool fund(storage::Store& store, const storage::CardRecord& card, std::int64_t now_ms) {
  const bool shared = card.share_quota_id.has_value();
  const engine::AccountRef pool{shared ? domain::AccountKind::budget_quota : domain::AccountKind::card,
                                shared ? *card.share_quota_id : card.card_id, "USD"};
  return engine::post_transfer(store, {domain::AccountKind::world, "", "USD"}, pool, card_balance_minor, "deposit",
                               card.card_id, now_ms).ok();
}

// Issues `count` cards 250 to a command; a shared card gets a card limit it never reaches.
std::vector<std::string> issue_cards(engine::Writer& writer, const crypto::PlatformKeys& keys,
                                     const engine::CardIssue& template_issue, int count) {
  std::vector<std::string> card_ids;
  while (static_cast<int>(card_ids.size()) < count) {
    const bool issued = writer.run_now([&](storage::Store& store) {
      for (int i = 0; i < 250; ++i) {
        const std::int64_t now_ms = wall_clock_ms();
        storage::CardHolderRecord holder{next_id(), template_issue.merchant_id, next_id(), std::nullopt, std::nullopt,
                                         std::nullopt, "{}", "PASSED", "ACTIVE", now_ms};
        if (!store.cards().insert_holder(holder).ok()) return false;
        engine::CardIssue issue = template_issue;
        issue.user_id = holder.user_id;
        auto card = engine::issue_card(store, keys, issue, now_ms);
        if (!card.ok()) return false;
        if (card->share_quota_id) {
          card->cap_limit_minor = card_balance_minor;
          if (!store.cards().update_card(*card).ok()) return false;
        }
        if ((!card->share_quota_id || card_ids.empty()) && !fund(store, *card, now_ms)) return false;
        card_ids.push_back(card->card_id);
      }
      return true;
    });
    if (!issued) die("cannot issue the cards");
  }
  return card_ids;
}

// A merchant, a product, a budget quota and the cards, made through the writer.
Cards create_cards(engine::Writer& writer, const crypto::PlatformKeys& keys) {
  engine::CardIssue issue;
  issue.merchant_id = next_id();
  issue.card_level = "standard";
  storage::CardProductRecord& product = issue.product;
  product.card_product_id = next_id();
  product.name = "bench";
  product.bin = "424242";
  product.network = "visa";
  product.currency = "USD";
  product.card_level = "standard";
  product.form = "virtual";
  product.over_limit_fee_rate_daily = "0";
  product.expiry_years = 3;
  storage::BudgetQuotaRecord quota;
  quota.share_quota_id = next_id();
  quota.merchant_id = issue.merchant_id;
  quota.request_id = "bench-hot-quota";
  quota.card_product_id = product.card_product_id;
  quota.card_level = product.card_level;
  quota.name = "hot";
  quota.currency = "USD";
  quota.status = "NORMAL";
  const bool made = writer.run_now([&](storage::Store& store) {
    quota.created_at_ms = wall_clock_ms();
    return store.insert_merchant({issue.merchant_id, "bench", crypto::sha256_hex(api_key), std::nullopt, std::nullopt,
                                  "active", quota.created_at_ms}).ok() &&
           store.insert_card_product(product).ok() && store.quotas().insert(quota).ok();
  });
  if (!made) die("cannot create the merchant");
  Cards cards;
  cards.standard = issue_cards(writer, keys, issue, engine_benchmark_cards);
  issue.funding_kind = "budget_quota";
  issue.share_quota_id = quota.share_quota_id;
  cards.hot_quota = issue_cards(writer, keys, issue, engine_benchmark_cards);
  return cards;
}

// One issuerd without its HTTP server: the writer on a fresh SQLite file, the readers, the
// keys and the simulator's routes.
struct Engine {
  std::filesystem::path folder;
  Metrics metrics;
  Clock clock{false};
  std::unique_ptr<crypto::PlatformKeys> keys;
  std::unique_ptr<storage::ReaderPool> readers;
  std::unique_ptr<engine::Writer> writer;
  std::unique_ptr<api::Services> services;
  http::Router router;
  Cards cards;

  Engine() {
    char pattern[] = "/tmp/issuerd-engine-benchmark-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) die("mkdtemp");
    folder = pattern;
    const char* given = std::getenv("ENGINE_BENCH_DATABASE");
    const std::string location = given != nullptr ? given : "sqlite:" + (folder / "bench.db").string();
    const auto url = must(storage::parse_database_url(location), "url");
    auto connection = must(storage::open_connection(url), "open");
    must(storage::migrate(*connection), "migrate");
    if (!storage::prepare_writer_connection(*connection).ok()) die("writer connection");
    keys = std::make_unique<crypto::PlatformKeys>(
        must(crypto::load_or_create_platform_keys((folder / "keys").string()), "keys"));
    readers = must(storage::ReaderPool::open(url, 2), "readers");
    writer = std::make_unique<engine::Writer>(std::move(connection), metrics);
    writer->start();
    services = std::make_unique<api::Services>(
        api::Services{clock, metrics, *writer, *readers, *keys, crypto::sha256_hex("unused"), ""});
    api::sim::register_routes(router, *services);
    cards = create_cards(*writer, *keys);
  }
  ~Engine() {
    writer->stop();
    writer.reset();
    readers.reset();
    std::error_code ignored;
    std::filesystem::remove_all(folder, ignored);
  }
};

Engine& engine_once() {
  static Engine engine;  // built on first use: the data set is shared by every run
  return engine;
}

// Answers arrive on the writer's thread; the client thread takes them here and, as the
// server's I/O thread would, makes the body the writer left to be made (body_maker).
class Answers {
 public:
  void add(http::Response response) {
    {
      std::lock_guard lock(mutex_);
      responses_.push_back(std::move(response));
    }
    arrived_.notify_one();
  }
  int take() {
    http::Response response;
    {
      std::unique_lock lock(mutex_);
      arrived_.wait(lock, [this] { return !responses_.empty(); });
      response = std::move(responses_.front());
      responses_.pop_front();
    }
    response.finish_body();
    return response.body.empty() ? 0 : response.status;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<http::Response> responses_;
};

http::Request authorization_request(const std::string& card_id, std::mt19937_64& random, std::uint64_t number) {
  std::uniform_int_distribution<int> percent(1, 100);
  const std::int64_t cents = percent(random) <= 5 ? std::uniform_int_distribution<std::int64_t>(2'500'000, 6'000'000)(random)
                                                  : std::uniform_int_distribution<std::int64_t>(100, 15'000)(random);
  http::Request request;
  request.method = "POST";
  request.target = request.path = "/sim/v1/authorizations";
  request.headers = {{"content-type", "application/json"},
                     {"x-api-key", api_key},
                     {"idempotency-key", "engine-bench-" + std::to_string(number)}};
  char amount[32];
  std::snprintf(amount, sizeof amount, "%lld.%02lld", static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  request.body = std::string(R"({"card_id":")") + card_id + R"(","amount":")" + amount +
                 R"(","currency":"USD","merchant":{"name":"Bench Shop","mcc":"5411","country":"US"}})";
  request.remote_address = "127.0.0.1";
  request.request_id = "bench";
  return request;
}

double process_cpu_s() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

void run_authorizations(benchmark::State& state, const std::vector<std::string>& card_ids) {
  Engine& engine = engine_once();
  const auto route = engine.router.match("POST", "/sim/v1/authorizations");
  if (route.handler == nullptr) die("no route");
  const int in_flight = static_cast<int>(state.range(0));
  constexpr int requests_per_iteration = 4096;
  static std::uint64_t number = 0;  // idempotency keys stay unique across runs
  std::mt19937_64 random(8);
  std::uniform_int_distribution<std::size_t> pick(0, card_ids.size() - 1);
  Answers answers;
  auto send = [&] {
    (*route.handler)(authorization_request(card_ids[pick(random)], random, ++number), route.params,
                     [&answers](http::Response response) { answers.add(std::move(response)); });
  };
  const double commits_before = metric(engine.metrics, "issuerd_commits_total");
  const double commands_before = metric(engine.metrics, "issuerd_committed_commands_total");
  std::int64_t not_created = 0;
  const double process_cpu_before_s = process_cpu_s();
  for (auto _ : state) {
    int sent = 0;
    for (; sent < in_flight; ++sent) send();
    for (int answered = 0; answered < requests_per_iteration; ++answered) {
      if (answers.take() != 201) ++not_created;
      if (sent < requests_per_iteration) {
        send();
        ++sent;
      }
    }
  }
  if (not_created > 0) state.SkipWithError("an authorization was not answered 201 with a body");
  state.SetItemsProcessed(state.iterations() * requests_per_iteration);
  const double commits = metric(engine.metrics, "issuerd_commits_total") - commits_before;
  const double commands = metric(engine.metrics, "issuerd_committed_commands_total") - commands_before;
  state.counters["mean_batch"] = commits > 0 ? commands / commits : 0.0;
  // CPU of every thread (writer, checkpointer, client) per authorization: steadier than the
  // rate on a machine shared with others, and what decides the rate once the cores are full.
  const double authorizations = static_cast<double>(state.iterations()) * requests_per_iteration;
  state.counters["cpu_us_per_auth"] = (process_cpu_s() - process_cpu_before_s) * 1e6 / authorizations;
}

void BM_EngineAuthorize(benchmark::State& state) { run_authorizations(state, engine_once().cards.standard); }
void BM_EngineAuthorizeHotQuota(benchmark::State& state) { run_authorizations(state, engine_once().cards.hot_quota); }
}  // namespace

// ENGINE_BENCH_ITERATIONS=N runs each case exactly N times (4,096 authorizations each), for
// bench/instructions.py, which counts instructions under valgrind at two iteration counts.
int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const char* iterations = std::getenv("ENGINE_BENCH_ITERATIONS");
  for (auto* cases : {benchmark::RegisterBenchmark("BM_EngineAuthorize", BM_EngineAuthorize),
                      benchmark::RegisterBenchmark("BM_EngineAuthorizeHotQuota", BM_EngineAuthorizeHotQuota)}) {
    cases->Arg(1)->Arg(16)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
    if (iterations != nullptr) cases->Iterations(std::atoi(iterations));
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
