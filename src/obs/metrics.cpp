// The in-process counters behind /metrics, rendered in the Prometheus text exposition format
// (version 0.0.4).
#include "obs/metrics.hpp"

#include <fmt/format.h>

namespace pw::obs {

Metrics& metrics() {
  static Metrics instance;
  return instance;
}

void Metrics::observe_scan(uint64_t microseconds) {
  const double seconds = static_cast<double>(microseconds) / 1e6;
  size_t bucket = kScanBuckets.size();
  for (size_t i = 0; i < kScanBuckets.size(); ++i) {
    if (seconds <= kScanBuckets[i]) {
      bucket = i;
      break;
    }
  }
  scan_buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  scan_count_.fetch_add(1, std::memory_order_relaxed);
  scan_microseconds_.fetch_add(microseconds, std::memory_order_relaxed);
}

void Metrics::count_http(int status) {
  size_t slot = kHttpCodes.size();
  for (size_t i = 0; i < kHttpCodes.size(); ++i)
    if (kHttpCodes[i] == status) slot = i;
  http_[slot].fetch_add(1, std::memory_order_relaxed);
}

uint64_t Metrics::http_requests(int status) const {
  for (size_t i = 0; i < kHttpCodes.size(); ++i)
    if (kHttpCodes[i] == status) return http_[i].load(std::memory_order_relaxed);
  return 0;
}

namespace {

void render_outcomes(std::string& out,
                     const std::array<std::atomic<uint64_t>, kOutcomeCount>& outcomes) {
  for (const FamilySpec& family : kFamilies) {
    out += fmt::format("# HELP {} {}\n# TYPE {} counter\n", family.name, family.help, family.name);
    for (const OutcomeSpec& spec : kOutcomes)
      if (spec.family == family.name)
        out += fmt::format(
            "{}{{{}=\"{}\"}} {}\n", spec.family, spec.label, spec.value,
            outcomes[static_cast<size_t>(spec.outcome)].load(std::memory_order_relaxed));
  }
}

}  // namespace

std::string Metrics::render() const {
  std::string out;
  render_outcomes(out, outcomes_);
  out +=
      "# HELP postwarden_check_verdicts_total Verdicts of each policy check other than pass.\n"
      "# TYPE postwarden_check_verdicts_total counter\n";
  for (size_t c = 0; c < kCheckNames.size(); ++c)
    for (size_t v = 0; v < kCheckVerdictNames.size(); ++v)
      out += fmt::format("postwarden_check_verdicts_total{{check=\"{}\",verdict=\"{}\"}} {}\n",
                         kCheckNames[c], kCheckVerdictNames[v],
                         checks_[c][v].load(std::memory_order_relaxed));
  out +=
      "# HELP postwarden_scan_seconds Policy and scanning time of one message at the end of "
      "DATA.\n# TYPE postwarden_scan_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kScanBuckets.size(); ++i) {
    cumulative += scan_buckets_[i].load(std::memory_order_relaxed);
    out += fmt::format("postwarden_scan_seconds_bucket{{le=\"{}\"}} {}\n", kScanBuckets[i],
                       cumulative);
  }
  cumulative += scan_buckets_.back().load(std::memory_order_relaxed);
  out += fmt::format("postwarden_scan_seconds_bucket{{le=\"+Inf\"}} {}\n", cumulative);
  out += fmt::format("postwarden_scan_seconds_sum {:.6f}\n",
                     static_cast<double>(scan_microseconds_.load(std::memory_order_relaxed)) / 1e6);
  out += fmt::format("postwarden_scan_seconds_count {}\n",
                     scan_count_.load(std::memory_order_relaxed));
  out +=
      "# HELP postwarden_http_requests_total HTTP requests answered, by status code.\n"
      "# TYPE postwarden_http_requests_total counter\n";
  for (size_t i = 0; i < kHttpCodes.size(); ++i)
    out += fmt::format("postwarden_http_requests_total{{code=\"{}\"}} {}\n", kHttpCodes[i],
                       http_[i].load(std::memory_order_relaxed));
  out += fmt::format("postwarden_http_requests_total{{code=\"other\"}} {}\n",
                     http_.back().load(std::memory_order_relaxed));
  return out;
}

}  // namespace pw::obs
