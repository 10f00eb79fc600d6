// The authorization decision alone (domain::decide): no I/O, no allocation of the inputs
// inside the timed loop. What one core can decide per second is the ceiling the engine's
// hot path can approach once its state is in memory (issue #8).
//
//   build-bench/bench/decision_benchmark [--benchmark_min_time=1]
//
// items_per_second is decisions per second on one thread.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "domain/authorization.h"

namespace {

using namespace issuerd::domain;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

CardFacts active_card() {
  CardFacts card;
  card.known = true;
  card.status = "ACTIVE";
  card.expiry_month = 12;
  card.expiry_year = 2099;
  return card;
}

// A day and a month purchase limit, as a card with limits has them.
std::vector<ControlUsage> two_controls() {
  return {ControlUsage{Period::day, TransactionType::purchase, 100'000, 40'000},
          ControlUsage{Period::month, TransactionType::purchase, 1'000'000, 400'000}};
}

// Varies the amount over a small table so the branch predictor sees a realistic mix:
// mostly approvals, some beyond the day limit (61) and some beyond the funds (51).
void BM_DecideMixed(benchmark::State& state) {
  const CardFacts card = active_card();
  const PresentedCredentials presented{12, 2099, std::nullopt};
  const std::vector<ControlUsage> controls = two_controls();
  const std::int64_t funds = 50'000;
  const std::int64_t amounts[8] = {1'250, 4'999, 75'000, 2'000, 9'900, 55'000, 100, 30'000};
  AuthorizationAsk ask{TransactionType::purchase, 0, false, now_ms()};
  std::uint64_t i = 0, approved = 0;
  for (auto _ : state) {
    ask.amount_minor = amounts[i++ & 7];
    Decision decision = decide(card, presented, controls, funds, ask);
    approved += decision.approved ? 1 : 0;
    benchmark::DoNotOptimize(decision);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["approved_share"] =
      state.iterations() == 0 ? 0.0 : static_cast<double>(approved) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_DecideMixed);

// The approval path only (every check runs to the end).
void BM_DecideApproved(benchmark::State& state) {
  const CardFacts card = active_card();
  const PresentedCredentials presented{std::nullopt, std::nullopt, std::nullopt};
  const std::vector<ControlUsage> controls = two_controls();
  const AuthorizationAsk ask{TransactionType::purchase, 1'250, false, now_ms()};
  for (auto _ : state) {
    Decision decision = decide(card, presented, controls, 50'000, ask);
    benchmark::DoNotOptimize(decision);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecideApproved);

// A card with no controls (most standard cards).
void BM_DecideNoControls(benchmark::State& state) {
  const CardFacts card = active_card();
  const PresentedCredentials presented{std::nullopt, std::nullopt, std::nullopt};
  const std::vector<ControlUsage> controls;
  const AuthorizationAsk ask{TransactionType::purchase, 1'250, false, now_ms()};
  for (auto _ : state) {
    Decision decision = decide(card, presented, controls, 50'000, ask);
    benchmark::DoNotOptimize(decision);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecideNoControls);

}  // namespace

BENCHMARK_MAIN();
