// The rows behind the rolling counters (F-COUNTERS): the `counters` buckets and the
// `counter_resets` requests of the CLI and the API. policy/counter_store keeps the counters in
// memory and decides what to write; this file only reads and writes them.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

struct CounterBucket {
  std::string subject;  // "user:NAME", "identity:NAME/ID", "ip:ADDRESS"
  std::string kind;     // "<kind>/m" (minute buckets) or "<kind>/h" (hour buckets)
  int64_t bucket = 0;   // the bucket's start, unix seconds
  int64_t count = 0;
};

struct CounterReset {
  int64_t id = 0;
  std::string subject;
  std::string kind;  // "" = every kind
};

class CounterRepository {
 public:
  explicit CounterRepository(Database& db) : db_(db) {}

  // The buckets that start after `after`: of every subject, or of one.
  Result<std::vector<CounterBucket>> buckets_after(int64_t after);
  Result<std::vector<CounterBucket>> subject_buckets_after(std::string_view subject, int64_t after);
  // Deletes a subject's buckets: every kind when `kinds` is empty, else those stored kinds.
  Result<void> remove(std::string_view subject, const std::vector<std::string>& kinds);
  // Inserts a bucket or sets its count.
  Result<void> save(const CounterBucket& bucket);
  // Deletes minute buckets before `minute_before` and every bucket before `hour_before`.
  Result<void> prune(int64_t minute_before, int64_t hour_before);

  // The newest reset request's id (0 when there is none).
  Result<int64_t> newest_reset_id();
  // Reset requests after `id`, oldest first, at most `limit`.
  Result<std::vector<CounterReset>> resets_after(int64_t id, int64_t limit);
  // Forgets reset requests made before `before`, then records a new one.
  Result<void> request_reset(std::string_view subject, std::string_view kind, int64_t now,
                             int64_t before);

 private:
  Database& db_;
};

}  // namespace pw::store
