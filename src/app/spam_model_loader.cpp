// See spam_model_loader.hpp.
#include "app/spam_model_loader.hpp"

#include <spdlog/spdlog.h>

#include "scan/attachment_limits.hpp"
#include "scan/spam_tokenizer.hpp"

namespace pw::app {

SpamModelLoader::SpamModelLoader(const config::Config& config,
                                 const std::filesystem::path& data_dir)
    : limits_(scan::mime_text_limits(config.scan)),
      weight_(static_cast<std::uint32_t>(config.spam.learn_weight)) {
  const std::string path =
      config.spam.model.empty() ? (data_dir / "spam.model").string() : config.spam.model;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    spdlog::warn("event=spam_model_missing path={} effect=rules_only", path);
  } else if (auto loaded = scan::SpamModel::load(path); !loaded) {
    spdlog::error("event=spam_model_error path={} error=\"{}\" effect=rules_only", path,
                  loaded.error().message);
  } else {
    spdlog::info("event=spam_model_loaded path={} algorithm={} spam={} ham={} calibrated={}", path,
                 scan::to_string(loaded->kind()), loaded->spam_messages(), loaded->ham_messages(),
                 loaded->calibration().empty() ? "no" : "yes");
    base_ = std::move(*loaded);
  }
}

std::shared_ptr<const scan::SpamClassifier> SpamModelLoader::refresh(store::Database& db) {
  store::SpamExampleRepository examples(db);
  auto counts = examples.counts();
  if (!counts) {
    spdlog::error("event=spam_decisions_error error=\"{}\"", counts.error().message);
    if (seen_) return nullptr;
    counts = store::SpamExampleCounts{};
  }
  if (seen_ && *seen_ == *counts) return nullptr;
  seen_ = *counts;
  if (!base_) return std::make_shared<const scan::SpamClassifier>(std::nullopt, limits_);
  scan::SpamModel model = *base_;
  auto learned = examples.all(scan::kTokenizerVersion, scan::kFeatureCount,
                              static_cast<int64_t>(base_->learned_through()));
  if (!learned) {
    spdlog::error("event=spam_decisions_error error=\"{}\"", learned.error().message);
  } else if (!learned->empty()) {
    std::vector<scan::FeatureSet> spam, ham;
    for (auto& e : *learned) (e.spam ? spam : ham).push_back(std::move(e.features));
    if (model.learn(spam, ham, weight_))
      spdlog::info("event=spam_model_learned spam={} ham={} weight={}", spam.size(), ham.size(),
                   weight_);
    else
      spdlog::warn(
          "event=spam_model_not_learned reason=\"a {} model learns only when trained "
          "again (train --from-decisions)\"",
          scan::to_string(model.kind()));
  }
  return std::make_shared<const scan::SpamClassifier>(std::move(model), limits_);
}

}  // namespace pw::app
