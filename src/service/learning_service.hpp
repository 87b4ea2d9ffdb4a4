// Learning from the administrator's decisions (F-SPAM): a release from quarantine is a ham
// example, "confirm as spam" a spam example. The message's model features (scan::message_features,
// the tokenizer the model uses) are stored per quarantined message (store/spam_example_repository,
// bounded by [spam] max_learned); a running gateway sees the change through the config generation
// and rebuilds its model with every example counted [spam] learn_weight times
// (scan/learned_model). `postwarden train --from-decisions` folds them into a new model file.
// Administrators only: the model is the node's, shared by every domain.
// Blocking (SQLite, files): call from a worker thread.
#pragma once
#include <filesystem>
#include <string>

#include "config/config.hpp"
#include "service/actor.hpp"
#include "service/outcome.hpp"
#include "store/database.hpp"

namespace pw::service {

struct Learned {
  std::string id;
  std::string label;  // "spam" or "ham"
  std::string text;   // the line the CLI prints
};

// "Confirm as spam": 403 for a domain admin, 404 for an unknown id, 409 once deleted (its text
// is gone). The message stays where it is (held or released).
Outcome<Learned> confirm_spam(const Actor& actor, store::Database& db,
                              const std::filesystem::path& data_dir, const std::string& id,
                              const std::string& decided_by, const config::Config& config);

// After a release (release_quarantined calls it): the message is a ham example. The release
// stands whatever happens here; a failure is returned for the caller to log.
Result<void> learn_from_release(store::Database& db, const std::filesystem::path& data_dir,
                                const std::string& id, const std::string& decided_by,
                                const config::Config& config);

}  // namespace pw::service
