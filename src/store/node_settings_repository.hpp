// Node-wide settings an administrator changes at run time (`node_settings`, e.g. the abuse
// contact) and the editable message templates (`templates`, e.g. the lock notice).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

struct TemplateRow {
  std::string subject;
  std::string body;
};

class NodeSettingsRepository {
 public:
  explicit NodeSettingsRepository(Database& db) : db_(db) {}

  // The stored value, "" when none is stored.
  Result<std::string> get(std::string_view key);
  Result<void> set(std::string_view key, std::string_view value, int64_t now);
  Result<void> remove(std::string_view key);

  Result<std::optional<TemplateRow>> find_template(std::string_view name);
  // Stores the template and moves the config generation, so a running gateway reloads its
  // policy snapshot.
  Result<void> save_template(std::string_view name, std::string_view subject, std::string_view body,
                             int64_t now);

 private:
  Database& db_;
};

}  // namespace pw::store
