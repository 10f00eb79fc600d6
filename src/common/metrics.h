// Process metrics, rendered in the Prometheus text format by GET /metrics. Thread-safe:
// counters are atomics; label sets are registered once under a mutex.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace issuerd {

// Cumulative histogram with fixed bucket bounds in seconds.
class Histogram {
 public:
  static constexpr std::array<double, 12> bounds_s = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  void observe_us(std::int64_t duration_us);
  void render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::array<std::atomic<std::uint64_t>, bounds_s.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_us_{0};
};

class Metrics {
 public:
  // One HTTP request answered: route is the matched pattern ("/admin/v1/merchants/{id}") or
  // "unmatched", so label cardinality stays bounded.
  void record_request(std::string_view method, std::string_view route, int status, std::int64_t duration_us);
  // One authorization decided: result "approved" or "declined".
  void record_authorization(std::string_view result);
  // One database commit of a writer batch.
  void record_commit(std::int64_t duration_us, std::size_t batch_size);

  std::string render() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<std::atomic<std::uint64_t>>> request_counts_;  // key: labels
  std::map<std::string, std::unique_ptr<std::atomic<std::uint64_t>>> authorization_counts_;
  Histogram request_latency_;
  Histogram commit_latency_;
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> committed_commands_{0};

  std::atomic<std::uint64_t>& counter(std::map<std::string, std::unique_ptr<std::atomic<std::uint64_t>>>& family,
                                      const std::string& labels);
};

}  // namespace issuerd
