// F-SPAM: the classifier a gateway's sessions share, made from the model file and the
// administrator's decisions (releases: ham; "confirm as spam": spam) stored in the database.
// The model file is read once; each decision after the ones the file already holds
// (SpamModel::learned_through) is counted [spam] learn_weight times. A missing or unreadable
// model is logged once and the rules judge alone (fails open: mail is never held for it).
//
//   SpamModelLoader loader(config, data_dir);
//   ctx->spam_classifier = loader.refresh(db);            // at start: always a classifier
//   if (auto fresh = loader.refresh(db)) ctx->spam_classifier.store(fresh);  // on reload
// Blocking (file, SQLite): call from a worker thread.
#pragma once
#include <filesystem>
#include <memory>
#include <optional>

#include "config/config.hpp"
#include "scan/spam_classifier.hpp"
#include "store/database.hpp"
#include "store/spam_example_repository.hpp"

namespace pw::app {

class SpamModelLoader {
 public:
  SpamModelLoader(const config::Config& config, const std::filesystem::path& data_dir);

  // A new classifier when the decisions changed since the last call (the first call always
  // gives one); nullptr when nothing changed.
  std::shared_ptr<const scan::SpamClassifier> refresh(store::Database& db);

 private:
  std::optional<scan::SpamModel> base_;
  scan::MimeTextLimits limits_;
  std::uint32_t weight_ = 1;
  std::optional<store::SpamExampleCounts> seen_;
};

}  // namespace pw::app
