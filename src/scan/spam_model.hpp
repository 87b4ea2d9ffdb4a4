// The trainable statistical part of the spam classifier (F-SPAM): either naive Bayes with
// Robinson's token probabilities and Fisher's chi-square combining (as SpamBayes), or logistic
// regression on the same binary features; both over the tokenizer's hashed feature space.
// The model file is a versioned little-endian binary format (see spam_model.cpp) with a magic
// number and a checksum. Trust: a model file is read as untrusted bytes: every field is checked.
//
//   auto model = pw::scan::SpamModel::train(ModelKind::kFisher, spam_sets, ham_sets);
//   model.save(path);  auto again = SpamModel::load(path);  // Result: a clear error when bad
//   double p = model.score(tokenize(text).features).probability;  // 0 = ham … 1 = spam
// A loaded model is immutable: score() is thread-safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scan/spam_calibration.hpp"
#include "util/result.hpp"

namespace pw::scan {

enum class ModelKind : std::uint32_t { kFisher = 1, kLogistic = 2 };
std::string_view to_string(ModelKind kind);
Result<ModelKind> parse_model_kind(std::string_view name);

using FeatureSet = std::vector<std::uint32_t>;  // sorted, unique (TokenSet::features)

struct ModelScore {
  double probability = 0.5;  // calibrated (spam_calibration.hpp); the raw score without one
  double raw = 0.5;          // the combination of the clues before calibration
  std::size_t known = 0;     // tokens the model has an opinion on (Fisher: f(w) off 0.5)
  // The features that weighed most, towards the side of the verdict first: (feature, weight);
  // weight is the token's spam probability (Fisher) or its coefficient (logistic).
  std::vector<std::pair<std::uint32_t, double>> clues;
};

// FNV-1a 64 of `bytes`: the checksum a model file ends with, over every byte before it.
std::uint64_t spam_model_checksum(std::string_view bytes);

// Folds of the cross-validation that calibrates a model as it is trained.
inline constexpr int kCalibrationFolds = 10;

class SpamModel {
 public:
  // Trains on every message and calibrates on out-of-fold scores of `folds`-fold
  // cross-validation over the same messages (folds < 2: not calibrated).
  // `out_of_fold`, when given, receives each message's (raw score, is spam) from the fold that
  // did not train on it (for reporting what the cut-offs do on the training folders).
  // `spam_weights` and `ham_weights` (empty: 1 each) say how many messages each one counts as.
  static SpamModel train(ModelKind kind, const std::vector<FeatureSet>& spam,
                         const std::vector<FeatureSet>& ham, int folds = kCalibrationFolds,
                         std::vector<std::pair<double, bool>>* out_of_fold = nullptr,
                         const std::vector<std::uint32_t>& spam_weights = {},
                         const std::vector<std::uint32_t>& ham_weights = {});
  // Learning from the administrator's decisions (F-SPAM): each message counts `weight` times.
  // Fisher only (its counts are additive); a logistic model is unchanged (returns false).
  bool learn(const std::vector<FeatureSet>& spam, const std::vector<FeatureSet>& ham,
             std::uint32_t weight);
  static Result<SpamModel> parse(std::string_view bytes);
  static Result<SpamModel> load(const std::string& path);
  std::string serialise() const;
  // Written to a temporary file and renamed over `path`.
  Result<void> save(const std::string& path) const;

  // `top`: how many clues to return (0: none, the fast path).
  ModelScore score(const FeatureSet& features, std::size_t top = 0) const;

  ModelKind kind() const { return kind_; }
  std::uint32_t spam_messages() const { return spam_messages_; }
  std::uint32_t ham_messages() const { return ham_messages_; }
  std::size_t used_features() const;
  const Calibration& calibration() const { return calibration_; }
  // The newest administrator's decision (store id) already folded into this model by
  // `train --from-decisions`: a gateway learns only the decisions after it.
  std::uint64_t learned_through() const { return learned_through_; }
  void set_learned_through(std::uint64_t id) { learned_through_ = id; }

 private:
  SpamModel() = default;
  ModelScore score_fisher(const FeatureSet& features, std::size_t top) const;
  ModelScore score_logistic(const FeatureSet& features, std::size_t top) const;

  ModelKind kind_ = ModelKind::kFisher;
  std::uint32_t spam_messages_ = 0;
  std::uint32_t ham_messages_ = 0;
  std::vector<std::uint32_t> spam_counts_;  // Fisher: messages with the feature, per class
  std::vector<std::uint32_t> ham_counts_;
  std::vector<float> weights_;  // logistic
  // Fisher: Robinson's f(w) per feature, computed once after training or loading; 0 = no clue.
  std::vector<float> token_probability_;
  void prepare();
  float bias_ = 0;
  Calibration calibration_;
  std::uint64_t learned_through_ = 0;
  struct WeightedSet {
    const FeatureSet* features;
    std::uint32_t weight;
  };
  static SpamModel train_raw(ModelKind kind, const std::vector<WeightedSet>& spam,
                             const std::vector<WeightedSet>& ham);
};

}  // namespace pw::scan
