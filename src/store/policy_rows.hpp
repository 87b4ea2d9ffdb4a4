// Everything the policy snapshot (policy/policy_snapshot) is built from, read in one go: the
// domains with their aliases, contacts, DKIM selectors and spam thresholds, every user's stored
// settings, the templates, the node's abuse contact and recently registered domains.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

struct PolicyDomainRow {
  std::string name;
  std::string admin_contact;
  std::string dkim_selector;
  std::optional<int64_t> spam_threshold;
};

struct PolicyTemplateRow {
  std::string subject;
  std::string body;
};

struct PolicyRows {
  std::vector<std::pair<std::string, int64_t>> new_domains;  // domain, registered_at
  std::vector<PolicyDomainRow> domains;
  std::vector<std::pair<std::string, std::string>> aliases;  // domain, alias
  // Every user (also those with no setting), with their stored key = value pairs.
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> users;
  std::map<std::string, PolicyTemplateRow> templates;  // by name
  std::string abuse_contact;                           // "" when none is stored
};

// `new_domains_after`: the registrations after this time (nullopt: none are read).
Result<PolicyRows> read_policy_rows(Database& db, std::optional<int64_t> new_domains_after);

}  // namespace pw::store
