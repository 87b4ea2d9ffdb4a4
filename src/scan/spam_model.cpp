// Spam model training, scoring and its file format.
// Trust: model files are parsed as hostile bytes (sizes, indices, counts, floats, checksum).
//
// File format, all integers little-endian:
//   0  8 bytes  magic "PWSPAMMD"
//   8  u32      format version (kFormatVersion)
//  12  u32      model kind (1 fisher, 2 logistic)
//  16  u32      tokenizer version (kTokenizerVersion of the tokens it was trained on)
//  20  u32      feature bits (kFeatureBits)
//  24  u32      spam messages trained
//  28  u32      ham messages trained
//  32  u32      entries
//  36  f32      bias (logistic; 0 for fisher)
//  40  entries, by increasing feature: fisher u32 feature, u32 spam count, u32 ham count;
//      logistic u32 feature, f32 weight
//  ..  u32      calibration steps, then per step f32 upper raw score, f32 probability
//  ..  u64      newest administrator's decision folded in (store's spam_examples id; 0: none)
//  end u64      FNV-1a 64 of every byte before it
#include "scan/spam_model.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <random>
#include <sstream>

#include "scan/spam_tokenizer.hpp"

namespace pw::scan {
namespace {

constexpr std::string_view kMagic = "PWSPAMMD";
constexpr std::uint32_t kFormatVersion = 2;  // 2: calibration steps after the entries
constexpr std::size_t kHeaderSize = 40;
constexpr std::size_t kChecksumSize = 8;
constexpr std::size_t kFisherEntrySize = 12;
constexpr std::size_t kLogisticEntrySize = 8;
constexpr std::size_t kStepSize = 8;
constexpr std::uint32_t kMaxSteps = 100000;

// Robinson's f(w) = (s·x + n·p(w)) / (s + n): s is the strength of the prior x for a token seen
// n times. Tokens whose f(w) is within kMinDeviation of 0.5 say nothing and are left out; at
// most kMaxClues of the strongest are combined. SpamBayes uses s = 0.45 and 0.1; s = 1 and 0.2
// pull tokens seen in only a few training messages towards 0.5 and leave out weak ones, which
// raised the cross-validated spam recall at the 0.99 cut-off (0.815 to 0.857, ham FPR 0.0005 both)
// on the training folders (bench/README.md, "Detection").
constexpr double kUnknownStrength = 1.0;
constexpr double kUnknownProbability = 0.5;
constexpr double kMinDeviation = 0.2;
constexpr std::size_t kMaxClues = 150;
// Logistic regression by stochastic gradient descent over shuffled messages; each message's
// features are scaled by 1/sqrt(count) so long messages do not dominate.
constexpr int kLogisticEpochs = 12;
constexpr double kLogisticRate = 0.5;
constexpr double kLogisticL2 = 1e-6;
constexpr std::uint32_t kShuffleSeed = 20021;

}  // namespace

std::uint64_t spam_model_checksum(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

namespace {

void put32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void put64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void put_float(std::string& out, float f) {
  std::uint32_t v;
  std::memcpy(&v, &f, sizeof v);
  put32(out, v);
}
std::uint32_t get32(std::string_view b, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}
std::uint64_t get64(std::string_view b, std::size_t at) {
  return static_cast<std::uint64_t>(get32(b, at)) |
         (static_cast<std::uint64_t>(get32(b, at + 4)) << 32);
}
float get_float(std::string_view b, std::size_t at) {
  const std::uint32_t v = get32(b, at);
  float f;
  std::memcpy(&f, &v, sizeof f);
  return f;
}

// Survival function of chi-square with an even number of degrees of freedom `v` at x2.
double chi2_q(double x2, std::size_t v) {
  const double m = x2 / 2.0;
  double term = std::exp(-m);
  double sum = term;
  for (std::size_t i = 1; i < v / 2; ++i) {
    term *= m / static_cast<double>(i);
    sum += term;
  }
  return std::min(sum, 1.0);
}

void keep_top(std::vector<std::pair<std::uint32_t, double>>& clues, std::size_t top, bool spam_side,
              double centre) {
  // Towards the verdict's side first, the strongest first.
  const std::size_t keep = std::min(top, clues.size());
  std::partial_sort(clues.begin(), clues.begin() + keep, clues.end(),
                    [&](const auto& a, const auto& b) {
                      const double da = spam_side ? a.second - centre : centre - a.second;
                      const double db = spam_side ? b.second - centre : centre - b.second;
                      return da > db;
                    });
  clues.resize(keep);
}

// Calibration steps: finite, increasing bounds, probabilities in [0, 1] and non-decreasing.
Result<std::vector<Calibration::Step>> parse_steps(std::string_view b, std::size_t at,
                                                   std::uint32_t count) {
  std::vector<Calibration::Step> steps;
  steps.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i, at += kStepSize) {
    const Calibration::Step step{get_float(b, at), get_float(b, at + 4)};
    if (!std::isfinite(step.upper) || !std::isfinite(step.probability) || step.probability < 0 ||
        step.probability > 1 ||
        (!steps.empty() &&
         (step.upper <= steps.back().upper || step.probability < steps.back().probability)))
      return fail("spam model has a bad calibration step " + std::to_string(i));
    steps.push_back(step);
  }
  return steps;
}

}  // namespace

std::string_view to_string(ModelKind kind) {
  return kind == ModelKind::kLogistic ? "logistic" : "fisher";
}

Result<ModelKind> parse_model_kind(std::string_view name) {
  if (name == "fisher") return ModelKind::kFisher;
  if (name == "logistic") return ModelKind::kLogistic;
  return fail("unknown model algorithm '" + std::string(name) + "' (fisher or logistic)");
}

SpamModel SpamModel::train(ModelKind kind, const std::vector<FeatureSet>& spam,
                           const std::vector<FeatureSet>& ham, int folds,
                           std::vector<std::pair<double, bool>>* out_of_fold,
                           const std::vector<std::uint32_t>& spam_weights,
                           const std::vector<std::uint32_t>& ham_weights) {
  auto weighted = [](const std::vector<FeatureSet>& sets, const std::vector<std::uint32_t>& w) {
    std::vector<WeightedSet> out;
    out.reserve(sets.size());
    for (std::size_t i = 0; i < sets.size(); ++i)
      out.push_back({&sets[i], i < w.size() ? std::max<std::uint32_t>(w[i], 1) : 1});
    return out;
  };
  const auto all_spam = weighted(spam, spam_weights);
  const auto all_ham = weighted(ham, ham_weights);
  SpamModel model = train_raw(kind, all_spam, all_ham);
  if (folds < 2) return model;
  std::vector<Calibration::Scored> scored;
  scored.reserve(spam.size() + ham.size());
  for (int k = 0; k < folds; ++k) {
    auto in_fold = [&](std::size_t i) { return static_cast<int>(i % folds) == k; };
    std::vector<WeightedSet> fold_spam, fold_ham;
    for (std::size_t i = 0; i < all_spam.size(); ++i)
      if (!in_fold(i)) fold_spam.push_back(all_spam[i]);
    for (std::size_t i = 0; i < all_ham.size(); ++i)
      if (!in_fold(i)) fold_ham.push_back(all_ham[i]);
    const SpamModel partial = train_raw(kind, fold_spam, fold_ham);
    for (std::size_t i = 0; i < all_spam.size(); ++i)
      if (in_fold(i))
        scored.push_back({partial.score(spam[i]).raw, true, double(all_spam[i].weight)});
    for (std::size_t i = 0; i < all_ham.size(); ++i)
      if (in_fold(i))
        scored.push_back({partial.score(ham[i]).raw, false, double(all_ham[i].weight)});
  }
  if (out_of_fold) {
    out_of_fold->clear();
    for (const auto& s : scored) out_of_fold->emplace_back(s.raw, s.spam);
  }
  model.calibration_ = Calibration::fit(std::move(scored));
  return model;
}

bool SpamModel::learn(const std::vector<FeatureSet>& spam, const std::vector<FeatureSet>& ham,
                      std::uint32_t weight) {
  if (kind_ != ModelKind::kFisher) return false;
  auto add = [weight](std::vector<std::uint32_t>& counts, std::uint32_t& messages,
                      const std::vector<FeatureSet>& sets) {
    for (const auto& set : sets) {
      messages += weight;
      for (auto f : set)
        if (f < counts.size()) counts[f] += weight;
    }
  };
  add(spam_counts_, spam_messages_, spam);
  add(ham_counts_, ham_messages_, ham);
  prepare();
  return true;
}

SpamModel SpamModel::train_raw(ModelKind kind, const std::vector<WeightedSet>& spam,
                               const std::vector<WeightedSet>& ham) {
  SpamModel m;
  m.kind_ = kind;
  for (const auto& e : spam) m.spam_messages_ += e.weight;
  for (const auto& e : ham) m.ham_messages_ += e.weight;
  if (kind == ModelKind::kFisher) {
    m.spam_counts_.assign(kFeatureCount, 0);
    m.ham_counts_.assign(kFeatureCount, 0);
    for (const auto& e : spam)
      for (auto f : *e.features) m.spam_counts_[f] += e.weight;
    for (const auto& e : ham)
      for (auto f : *e.features) m.ham_counts_[f] += e.weight;
    m.prepare();
    return m;
  }
  m.weights_.assign(kFeatureCount, 0.0f);
  struct Labelled {
    const FeatureSet* set;
    double label;
    double weight;
  };
  std::vector<Labelled> examples;
  examples.reserve(spam.size() + ham.size());
  for (const auto& e : spam) examples.push_back({e.features, 1.0, double(e.weight)});
  for (const auto& e : ham) examples.push_back({e.features, 0.0, double(e.weight)});
  std::mt19937 random(kShuffleSeed);
  double bias = 0;
  for (int epoch = 0; epoch < kLogisticEpochs; ++epoch) {
    std::shuffle(examples.begin(), examples.end(), random);
    const double rate = kLogisticRate / (1.0 + epoch);
    for (const auto& [set, label, weight] : examples) {
      if (set->empty()) continue;
      const double x = 1.0 / std::sqrt(static_cast<double>(set->size()));
      double z = bias;
      for (auto f : *set) z += m.weights_[f] * x;
      const double p = 1.0 / (1.0 + std::exp(-z));
      const double g = (label - p) * weight;
      bias += rate * g;
      for (auto f : *set)
        m.weights_[f] += static_cast<float>(rate * (g * x - kLogisticL2 * m.weights_[f]));
    }
  }
  m.bias_ = static_cast<float>(bias);
  return m;
}

std::size_t SpamModel::used_features() const {
  if (kind_ == ModelKind::kFisher) {
    std::size_t n = 0;
    for (std::size_t f = 0; f < spam_counts_.size(); ++f)
      if (spam_counts_[f] || ham_counts_[f]) ++n;
    return n;
  }
  return static_cast<std::size_t>(
      std::count_if(weights_.begin(), weights_.end(), [](float w) { return w != 0.0f; }));
}

ModelScore SpamModel::score(const FeatureSet& features, std::size_t top) const {
  return kind_ == ModelKind::kFisher ? score_fisher(features, top) : score_logistic(features, top);
}

void SpamModel::prepare() {
  if (kind_ != ModelKind::kFisher) return;
  token_probability_.assign(kFeatureCount, 0.0f);
  const double nspam = std::max<std::uint32_t>(spam_messages_, 1);
  const double nham = std::max<std::uint32_t>(ham_messages_, 1);
  for (std::uint32_t f = 0; f < kFeatureCount; ++f) {
    const double s = spam_counts_[f];
    const double h = ham_counts_[f];
    const double n = s + h;
    if (n == 0) continue;
    const double spam_ratio = s / nspam;
    const double ham_ratio = h / nham;
    const double p = spam_ratio / (spam_ratio + ham_ratio);
    const double fw = (kUnknownStrength * kUnknownProbability + n * p) / (kUnknownStrength + n);
    if (std::fabs(fw - 0.5) < kMinDeviation) continue;
    token_probability_[f] = static_cast<float>(fw);
  }
}

ModelScore SpamModel::score_fisher(const FeatureSet& features, std::size_t top) const {
  std::vector<std::pair<std::uint32_t, double>> clues;
  clues.reserve(features.size());
  for (auto f : features) {
    const float fw = token_probability_[f];
    if (fw != 0.0f) clues.emplace_back(f, fw);
  }
  const std::size_t known = clues.size();
  if (clues.size() > kMaxClues) {
    std::nth_element(clues.begin(), clues.begin() + kMaxClues, clues.end(),
                     [](const auto& a, const auto& b) {
                       return std::fabs(a.second - 0.5) > std::fabs(b.second - 0.5);
                     });
    clues.resize(kMaxClues);
  }
  ModelScore out;
  out.known = known;
  if (clues.empty()) {
    out.probability = calibration_.apply(out.raw);
    return out;
  }
  double ln_ham = 0;   // Σ ln f(w): small when the tokens are spammy
  double ln_spam = 0;  // Σ ln (1 - f(w))
  for (const auto& [f, fw] : clues) {
    ln_ham += std::log(std::max(fw, 1e-12));
    ln_spam += std::log(std::max(1.0 - fw, 1e-12));
  }
  const std::size_t dof = 2 * clues.size();
  const double spam_evidence = 1.0 - chi2_q(-2.0 * ln_spam, dof);
  const double ham_evidence = 1.0 - chi2_q(-2.0 * ln_ham, dof);
  out.raw = (spam_evidence - ham_evidence + 1.0) / 2.0;
  out.probability = calibration_.apply(out.raw);
  if (top > 0) {
    keep_top(clues, top, out.probability >= 0.5, 0.5);
    out.clues = std::move(clues);
  }
  return out;
}

ModelScore SpamModel::score_logistic(const FeatureSet& features, std::size_t top) const {
  ModelScore out;
  double z = bias_;
  const double x = features.empty() ? 0.0 : 1.0 / std::sqrt(static_cast<double>(features.size()));
  std::vector<std::pair<std::uint32_t, double>> clues;
  for (auto f : features) {
    z += weights_[f] * x;
    if (weights_[f] != 0.0f) ++out.known;
    if (top > 0 && weights_[f] != 0.0f) clues.emplace_back(f, weights_[f]);
  }
  out.raw = 1.0 / (1.0 + std::exp(-z));
  out.probability = calibration_.apply(out.raw);
  if (top > 0) {
    keep_top(clues, top, out.probability >= 0.5, 0.0);
    out.clues = std::move(clues);
  }
  return out;
}

std::string SpamModel::serialise() const {
  std::string out(kMagic);
  put32(out, kFormatVersion);
  put32(out, static_cast<std::uint32_t>(kind_));
  put32(out, kTokenizerVersion);
  put32(out, kFeatureBits);
  put32(out, spam_messages_);
  put32(out, ham_messages_);
  put32(out, static_cast<std::uint32_t>(used_features()));
  put_float(out, kind_ == ModelKind::kLogistic ? bias_ : 0.0f);
  for (std::uint32_t f = 0; f < kFeatureCount; ++f) {
    if (kind_ == ModelKind::kFisher) {
      if (!spam_counts_[f] && !ham_counts_[f]) continue;
      put32(out, f);
      put32(out, spam_counts_[f]);
      put32(out, ham_counts_[f]);
    } else {
      if (weights_[f] == 0.0f) continue;
      put32(out, f);
      put_float(out, weights_[f]);
    }
  }
  put32(out, static_cast<std::uint32_t>(calibration_.steps().size()));
  for (const auto& step : calibration_.steps()) {
    put_float(out, step.upper);
    put_float(out, step.probability);
  }
  put64(out, learned_through_);
  put64(out, spam_model_checksum(out));
  return out;
}

namespace {

// Where the parts of a model file are, once its header, sizes and checksum are checked.
struct ModelLayout {
  std::uint32_t kind = 0;
  std::uint32_t entries = 0;
  std::size_t entry_size = 0;
  std::size_t steps_at = 0;
  std::uint32_t steps = 0;
  std::size_t learned_at = 0;
};

Result<ModelLayout> model_layout(std::string_view b) {
  if (b.size() < kHeaderSize + kChecksumSize || !b.starts_with(kMagic))
    return fail("not a postwarden spam model (bad magic number)");
  if (get32(b, 8) != kFormatVersion)
    return fail("spam model format version " + std::to_string(get32(b, 8)) +
                " is not supported (expected " + std::to_string(kFormatVersion) + ")");
  ModelLayout l;
  l.kind = get32(b, 12);
  if (l.kind != 1 && l.kind != 2)
    return fail("spam model has unknown kind " + std::to_string(l.kind));
  if (get32(b, 16) != kTokenizerVersion || get32(b, 20) != kFeatureBits)
    return fail("spam model was trained with another tokenizer: train it again");
  l.entries = get32(b, 32);
  l.entry_size = l.kind == 1 ? kFisherEntrySize : kLogisticEntrySize;
  l.steps_at = kHeaderSize + std::size_t{l.entries} * l.entry_size;
  if (l.entries > kFeatureCount || b.size() < l.steps_at + 4 + 8 + kChecksumSize)
    return fail("spam model is truncated or has trailing bytes");
  l.steps = get32(b, l.steps_at);
  l.learned_at = l.steps_at + 4 + std::size_t{l.steps} * kStepSize;
  if (l.steps > kMaxSteps || b.size() != l.learned_at + 8 + kChecksumSize)
    return fail("spam model is truncated or has trailing bytes");
  if (get64(b, b.size() - kChecksumSize) !=
      spam_model_checksum(b.substr(0, b.size() - kChecksumSize)))
    return fail("spam model checksum mismatch (damaged file)");
  return l;
}

}  // namespace

Result<SpamModel> SpamModel::parse(std::string_view b) {
  auto layout = model_layout(b);
  if (!layout) return tl::unexpected(layout.error());
  const auto [kind, entries, entry_size, steps_at, steps, learned_at] = *layout;
  SpamModel m;
  m.kind_ = static_cast<ModelKind>(kind);
  m.spam_messages_ = get32(b, 24);
  m.ham_messages_ = get32(b, 28);
  m.bias_ = get_float(b, 36);
  if (!std::isfinite(m.bias_)) return fail("spam model has a non-finite bias");
  // Only a logistic model has a bias; a Fisher model's is written as 0 (serialise), so any other
  // value would not be read back as the same file.
  if (m.kind_ == ModelKind::kFisher && m.bias_ != 0.0f)
    return fail("spam model of kind fisher has a bias");
  if (m.kind_ == ModelKind::kFisher) {
    m.spam_counts_.assign(kFeatureCount, 0);
    m.ham_counts_.assign(kFeatureCount, 0);
  } else {
    m.weights_.assign(kFeatureCount, 0.0f);
  }
  std::int64_t previous = -1;
  for (std::size_t i = 0, at = kHeaderSize; i < entries; ++i, at += entry_size) {
    const std::uint32_t f = get32(b, at);
    if (f >= kFeatureCount || static_cast<std::int64_t>(f) <= previous)
      return fail("spam model has a bad feature index at entry " + std::to_string(i));
    previous = f;
    if (m.kind_ == ModelKind::kFisher) {
      const std::uint32_t s = get32(b, at + 4);
      const std::uint32_t h = get32(b, at + 8);
      if (s > m.spam_messages_ || h > m.ham_messages_)
        return fail("spam model has counts above its message totals at entry " + std::to_string(i));
      m.spam_counts_[f] = s;
      m.ham_counts_[f] = h;
    } else {
      const float w = get_float(b, at + 4);
      if (!std::isfinite(w)) return fail("spam model has a non-finite weight");
      m.weights_[f] = w;
    }
  }
  auto read_steps = parse_steps(b, steps_at + 4, steps);
  if (!read_steps) return tl::unexpected(read_steps.error());
  m.calibration_ = Calibration::from_steps(std::move(*read_steps));
  m.learned_through_ = get64(b, learned_at);
  m.prepare();
  return m;
}

Result<SpamModel> SpamModel::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read spam model " + path + ": " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  auto model = parse(buffer.str());
  if (!model) return fail(path + ": " + model.error().message);
  return model;
}

Result<void> SpamModel::save(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return fail("cannot write " + tmp + ": " + std::strerror(errno));
    const std::string bytes = serialise();
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) return fail("cannot write " + tmp + ": " + std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return fail("cannot rename " + tmp + " to " + path + ": " + ec.message());
  return {};
}

}  // namespace pw::scan
