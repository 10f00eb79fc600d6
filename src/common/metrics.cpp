#include "common/metrics.h"

#include <cstdio>

namespace issuerd {

void Histogram::observe_us(std::int64_t duration_us) {
  const double seconds = static_cast<double>(duration_us) / 1e6;
  std::size_t bucket = 0;
  while (bucket < bounds_s.size() && seconds > bounds_s[bucket]) ++bucket;
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<std::uint64_t>(duration_us < 0 ? 0 : duration_us), std::memory_order_relaxed);
}

void Histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
  const std::string prefix = labels.empty() ? std::string() : std::string(labels) + ",";
  std::uint64_t cumulative = 0;
  char number[64];
  for (std::size_t i = 0; i <= bounds_s.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    if (i < bounds_s.size()) {
      std::snprintf(number, sizeof number, "%g", bounds_s[i]);
    } else {
      std::snprintf(number, sizeof number, "+Inf");
    }
    out += std::string(name) + "_bucket{" + prefix + "le=\"" + number + "\"} " + std::to_string(cumulative) + "\n";
  }
  std::snprintf(number, sizeof number, "%.6f", static_cast<double>(sum_us_.load()) / 1e6);
  const std::string braces = labels.empty() ? std::string() : "{" + std::string(labels) + "}";
  out += std::string(name) + "_sum" + braces + " " + number + "\n";
  out += std::string(name) + "_count" + braces + " " + std::to_string(count_.load()) + "\n";
}

std::atomic<std::uint64_t>& Metrics::counter(
    std::map<std::string, std::unique_ptr<std::atomic<std::uint64_t>>>& family, const std::string& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family[labels];
  if (!slot) slot = std::make_unique<std::atomic<std::uint64_t>>(0);
  return *slot;
}

void Metrics::record_request(std::string_view method, std::string_view route, int status, std::int64_t duration_us) {
  std::string labels = "method=\"" + std::string(method) + "\",route=\"" + std::string(route) +
                       "\",status=\"" + std::to_string(status) + "\"";
  counter(request_counts_, labels).fetch_add(1, std::memory_order_relaxed);
  request_latency_.observe_us(duration_us);
}

void Metrics::record_authorization(std::string_view result) {
  counter(authorization_counts_, "result=\"" + std::string(result) + "\"").fetch_add(1, std::memory_order_relaxed);
}

void Metrics::record_commit(std::int64_t duration_us, std::size_t batch_size) {
  commit_latency_.observe_us(duration_us);
  commits_.fetch_add(1, std::memory_order_relaxed);
  committed_commands_.fetch_add(batch_size, std::memory_order_relaxed);
}

std::string Metrics::render() const {
  std::string out;
  out += "# HELP issuerd_http_requests_total HTTP requests answered, by route pattern and status.\n";
  out += "# TYPE issuerd_http_requests_total counter\n";
  {
    std::lock_guard lock(mutex_);
    for (const auto& [labels, count] : request_counts_) {
      out += "issuerd_http_requests_total{" + labels + "} " + std::to_string(count->load()) + "\n";
    }
  }
  out += "# HELP issuerd_http_request_duration_seconds Time from request read to response handed to the socket.\n";
  out += "# TYPE issuerd_http_request_duration_seconds histogram\n";
  request_latency_.render(out, "issuerd_http_request_duration_seconds", "");
  out += "# HELP issuerd_authorizations_total Card authorizations decided, by result.\n";
  out += "# TYPE issuerd_authorizations_total counter\n";
  {
    std::lock_guard lock(mutex_);
    if (authorization_counts_.empty()) {
      out += "issuerd_authorizations_total{result=\"approved\"} 0\nissuerd_authorizations_total{result=\"declined\"} 0\n";
    }
    for (const auto& [labels, count] : authorization_counts_) {
      out += "issuerd_authorizations_total{" + labels + "} " + std::to_string(count->load()) + "\n";
    }
  }
  out += "# HELP issuerd_commit_duration_seconds Duration of one writer batch commit.\n";
  out += "# TYPE issuerd_commit_duration_seconds histogram\n";
  commit_latency_.render(out, "issuerd_commit_duration_seconds", "");
  out += "# HELP issuerd_commits_total Writer batches committed.\n# TYPE issuerd_commits_total counter\n";
  out += "issuerd_commits_total " + std::to_string(commits_.load()) + "\n";
  out += "# HELP issuerd_committed_commands_total Commands applied in committed batches.\n";
  out += "# TYPE issuerd_committed_commands_total counter\n";
  out += "issuerd_committed_commands_total " + std::to_string(committed_commands_.load()) + "\n";
  return out;
}

}  // namespace issuerd
