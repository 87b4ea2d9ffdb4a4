// The process's counters for /metrics (F-PANEL, STYLE 17): one list of every outcome counted,
// each a relaxed atomic, so the hot path pays one atomic add. Values that exist elsewhere (queue
// size, sessions, locks) are read when /metrics is asked, not counted here.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "obs/outcomes.hpp"

namespace pw::obs {

class Metrics {
 public:
  // Upper bounds (seconds) of the buckets of postwarden_scan_seconds; +Inf is implied.
  static constexpr std::array<double, 10> kScanBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                          0.05,  0.1,    0.25,  0.5,  1.0};
  // HTTP status classes counted by their exact code; others fall in "other".
  static constexpr std::array<int, 13> kHttpCodes = {200, 201, 204, 304, 400, 401, 403,
                                                     404, 405, 413, 429, 500, 503};

  void count(Outcome outcome) {
    outcomes_[static_cast<size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
  }
  // `check` is an index of kCheckNames (check_index); an index out of range is not counted.
  void count_check(size_t check, CheckVerdict verdict) {
    if (check < kCheckNames.size())
      checks_[check][static_cast<size_t>(verdict)].fetch_add(1, std::memory_order_relaxed);
  }
  // The policy and scanning time of one message, in microseconds.
  void observe_scan(uint64_t microseconds);
  void count_http(int status);

  uint64_t value(Outcome outcome) const {
    return outcomes_[static_cast<size_t>(outcome)].load(std::memory_order_relaxed);
  }
  uint64_t check_value(size_t check, CheckVerdict verdict) const {
    return checks_.at(check)[static_cast<size_t>(verdict)].load(std::memory_order_relaxed);
  }
  uint64_t http_requests(int status) const;

  // The counters kept here, in the Prometheus text format (HELP, TYPE, samples): every outcome
  // of kOutcomes by family, the checks' verdicts, the scan histogram and the HTTP requests.
  std::string render() const;

 private:
  using VerdictCounters =
      std::array<std::atomic<uint64_t>, static_cast<size_t>(CheckVerdict::kCount)>;
  std::array<std::atomic<uint64_t>, kOutcomeCount> outcomes_{};
  std::array<VerdictCounters, kCheckNames.size()> checks_{};
  std::array<std::atomic<uint64_t>, kScanBuckets.size() + 1> scan_buckets_{};  // last: +Inf
  std::atomic<uint64_t> scan_count_{0};
  std::atomic<uint64_t> scan_microseconds_{0};
  std::array<std::atomic<uint64_t>, kHttpCodes.size() + 1> http_{};  // last: other
};

// The one registry of this process.
Metrics& metrics();

}  // namespace pw::obs
