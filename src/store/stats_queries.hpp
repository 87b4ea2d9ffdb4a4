// The dashboard's figures (F-PANEL, service/stats_service): messages, rejections and held
// messages per time bucket, and the busiest senders, each for the node or one domain.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

// (bucket number = time / bucket size, count), buckets with no row left out.
using BucketCounts = std::vector<std::pair<int64_t, int64_t>>;

struct TopSenderRow {
  std::string sender;
  std::string identity;  // "" when counted per sender
  int64_t messages = 0;
};

class StatsQueries {
 public:
  explicit StatsQueries(Database& db) : db_(db) {}

  // `domain` "" = the whole node. For a domain: the sending domain's messages plus its users'
  // messages sent from other domains.
  Result<BucketCounts> messages(std::string_view status, int64_t size, int64_t start,
                                std::string_view domain);
  Result<BucketCounts> rejections(int64_t size, int64_t start, std::string_view domain);
  Result<BucketCounts> held(int64_t size, int64_t start, std::string_view domain);
  // The `limit` senders (or sender identities) with the most messages since `since`.
  Result<std::vector<TopSenderRow>> top_senders(bool identities, int64_t since,
                                                std::string_view domain, int64_t limit);
  // The names of a domain's users.
  Result<std::vector<std::string>> user_names(std::string_view domain);

 private:
  Database& db_;
};

}  // namespace pw::store
