// Where a domain's mail goes and which names stand for it: alias domains (F-ALIAS), whose
// traffic is logged and counted under their main domain, and a per-domain delivery route
// ("host:port", F-DELIVER) that replaces the MX look-up for mail to the domain and its aliases.
// Trust: names come from admins; they are checked here (aliases) or by the caller (routes).
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

class DomainRouting {
 public:
  explicit DomainRouting(Database& db) : db_(db) {}

  // `alias` must be a valid domain name that is neither a domain of this node nor an alias yet.
  Result<void> add_alias(std::string_view domain, std::string_view alias);
  Result<void> remove_alias(std::string_view domain, std::string_view alias);
  Result<std::vector<std::string>> aliases(std::string_view domain);
  // "" clears the route.
  Result<void> set_route(std::string_view domain, std::string_view route);
  Result<std::string> route(std::string_view domain);
  // Every routed domain and each of its aliases -> its route, lower-case names.
  Result<std::map<std::string, std::string>> routes();

 private:
  Database& db_;
};

}  // namespace pw::store
