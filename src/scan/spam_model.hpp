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

#include "util/result.hpp"

namespace pw::scan {

enum class ModelKind : std::uint32_t { kFisher = 1, kLogistic = 2 };
std::string_view to_string(ModelKind kind);
Result<ModelKind> parse_model_kind(std::string_view name);

using FeatureSet = std::vector<std::uint32_t>;  // sorted, unique (TokenSet::features)

struct ModelScore {
  double probability = 0.5;
  // The features that weighed most, towards the side of the verdict first: (feature, weight);
  // weight is the token's spam probability (Fisher) or its coefficient (logistic).
  std::vector<std::pair<std::uint32_t, double>> clues;
};

class SpamModel {
 public:
  static SpamModel train(ModelKind kind, const std::vector<FeatureSet>& spam,
                         const std::vector<FeatureSet>& ham);
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
};

}  // namespace pw::scan
