// Rolling counters of each user and identity (F-COUNTERS): connections, messages, recipients,
// invalid recipients and spam, in time buckets: one-minute buckets for windows up to two hours,
// one-hour buckets for longer windows (up to 32 days). A window of W seconds sums the buckets
// that started within the last W seconds, so a limit per minute frees up at the next minute.
// Thread-safe (one mutex); the event loops add and read, a worker flushes to SQLite about once
// a second and at shutdown, so counters survive a restart (a kill -9 loses at most that second).
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "util/result.hpp"

namespace pw::store {
class Database;
}

namespace pw::policy {

namespace counter {
inline constexpr std::string_view kConnections = "connections";
inline constexpr std::string_view kMessages = "messages";
inline constexpr std::string_view kRecipients = "recipients";
inline constexpr std::string_view kInvalidRecipients = "invalid_recipients";
inline constexpr std::string_view kSpam = "spam";
inline constexpr std::string_view kUnsure = "unsure";  // F-SPAM: never counts towards a lock
}  // namespace counter

std::string user_subject(std::string_view user_name);
std::string identity_subject(std::string_view user_name, std::string_view identity);
// The local history of a client IP (F-IPREP): "ip:192.0.2.1".
std::string ip_subject(std::string_view client_ip);

class CounterStore {
 public:
  static constexpr int64_t kMinute = 60;
  static constexpr int64_t kHour = 3600;
  static constexpr int64_t kFineSpan = 2 * kHour;     // minute buckets kept this long
  static constexpr int64_t kCoarseSpan = 32 * 86400;  // hour buckets kept this long

  // Blocking: reads the buckets still inside their span.
  Result<void> load(store::Database& db, int64_t now);
  void add(std::string_view subject, std::string_view kind, int64_t n, int64_t now);
  int64_t sum(std::string_view subject, std::string_view kind, int64_t window_s, int64_t now) const;
  // Every counter of a subject (kind -> sum over window) for `user show` and `identity list`.
  std::map<std::string, int64_t> sums(std::string_view subject, int64_t window_s,
                                      int64_t now) const;
  // Forgets every counter of a subject, or its counters of one kind (the reset of F-COUNTERS);
  // flushed like the rest.
  void reset(std::string_view subject, std::string_view kind = {});
  // Blocking: applies the resets the CLI or the API asked for (reset_in_database) since the
  // last call; the first call only notes where the requests stand (the counters were just
  // loaded from the database, which the requests already cleared). Returns how many applied.
  Result<size_t> apply_requested_resets(store::Database& db);
  // Blocking: writes changed buckets and deletes expired ones.
  Result<void> flush(store::Database& db, int64_t now);

  // Reads sums straight from the database (for the CLI, which has no CounterStore running).
  static Result<std::map<std::string, int64_t>> read_sums(store::Database& db,
                                                          std::string_view subject,
                                                          int64_t window_s, int64_t now);
  // For the CLI and the API: deletes the subject's counters (of one kind, or all) and asks a
  // running gateway to forget them too (issue 15, item 12).
  static Result<void> reset_in_database(store::Database& db, std::string_view subject,
                                        std::string_view kind = {});

 private:
  // kind is stored as "<kind>/m" (minute buckets) or "<kind>/h" (hour buckets).
  using Key = std::tuple<std::string, std::string, int64_t>;  // subject, kind/gran, bucket
  mutable std::mutex mutex_;
  std::map<Key, int64_t> buckets_;
  std::set<Key> dirty_;
  std::set<std::pair<std::string, std::string>> resets_;  // subject, kind ("" = all)
  std::optional<int64_t> last_reset_request_;             // id in counter_resets
};

}  // namespace pw::policy
