// Calibration of the spam model's raw score (F-SPAM): a monotone step function from the raw
// score (Fisher's chi-square combination, or the logistic output) to the share of spam among
// training messages that scored alike. Fitted by isotonic regression (pool adjacent violators)
// on out-of-fold scores of K-fold cross-validation over the training folders only, so the
// probability a message gets is what the model scored on messages it had not seen.
// Each step's probability is smoothed towards 1/2 by one pseudo-message of each class
// ((spam + 1) / (n + 2)): a step of 3 spam and 0 ham is 0.8, not 1; a probability near 1 needs
// many training messages behind it.
//
//   auto cal = Calibration::fit(scored);   // scored: (raw score, is spam[, weight]) per message
//   double p = cal.apply(raw);             // identity when empty (no calibration)
#pragma once
#include <cstddef>
#include <utility>
#include <vector>

namespace pw::scan {

class Calibration {
 public:
  struct Step {
    float upper = 0;        // raw scores up to this value (inclusive) ...
    float probability = 0;  // ... get this probability
  };

  Calibration() = default;
  struct Scored {
    double raw = 0;
    bool spam = false;
    double weight = 1;  // how many messages this one counts as
  };
  static Calibration fit(std::vector<Scored> scored);
  static Calibration fit(const std::vector<std::pair<double, bool>>& scored);
  static Calibration from_steps(std::vector<Step> steps) { return Calibration(std::move(steps)); }

  double apply(double raw) const;
  bool empty() const { return steps_.empty(); }
  const std::vector<Step>& steps() const { return steps_; }

 private:
  explicit Calibration(std::vector<Step> steps) : steps_(std::move(steps)) {}
  std::vector<Step> steps_;  // increasing `upper`, non-decreasing `probability`
};

}  // namespace pw::scan
