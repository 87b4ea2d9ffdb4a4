// Isotonic regression by pool adjacent violators over (raw score, label) pairs.
// Trust: the pairs come from our own cross-validation, never from a message.
#include "scan/spam_calibration.hpp"

#include <algorithm>

namespace pw::scan {
namespace {

struct Block {
  double lower = 0;  // lowest raw score in the block
  double upper = 0;  // highest raw score in the block
  double spam = 0;
  double total = 0;
  double ratio() const { return spam / total; }
};

}  // namespace

Calibration Calibration::fit(const std::vector<std::pair<double, bool>>& scored) {
  std::vector<Scored> weighted;
  weighted.reserve(scored.size());
  for (const auto& [raw, spam] : scored) weighted.push_back({raw, spam, 1});
  return fit(std::move(weighted));
}

Calibration Calibration::fit(std::vector<Scored> scored) {
  std::sort(scored.begin(), scored.end(),
            [](const Scored& a, const Scored& b) { return a.raw < b.raw; });
  std::vector<Block> blocks;
  for (std::size_t i = 0; i < scored.size();) {
    Block b{scored[i].raw, scored[i].raw, 0, 0};
    // Equal raw scores are one block: a step function cannot tell them apart.
    for (; i < scored.size() && scored[i].raw == b.upper; ++i) {
      b.spam += scored[i].spam ? scored[i].weight : 0;
      b.total += scored[i].weight;
    }
    blocks.push_back(b);
    while (blocks.size() >= 2 && blocks[blocks.size() - 2].ratio() >= blocks.back().ratio()) {
      Block last = blocks.back();
      blocks.pop_back();
      blocks.back().spam += last.spam;
      blocks.back().total += last.total;
      blocks.back().upper = last.upper;
    }
  }
  std::vector<Step> steps;
  float floor = 0;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const auto& b = blocks[i];
    // Between two blocks the boundary is halfway from this block's highest score to the next
    // one's lowest; the last block covers everything above.
    const double upper = i + 1 < blocks.size() ? (b.upper + blocks[i + 1].lower) / 2 : 1e30;
    const auto p = static_cast<float>((b.spam + 1) / (b.total + 2));
    floor = std::max(floor, p);
    steps.push_back({static_cast<float>(upper), floor});
  }
  return Calibration(std::move(steps));
}

double Calibration::apply(double raw) const {
  if (steps_.empty()) return raw;
  const auto it = std::lower_bound(steps_.begin(), steps_.end(), raw,
                                   [](const Step& s, double r) { return s.upper < r; });
  return it == steps_.end() ? steps_.back().probability : it->probability;
}

}  // namespace pw::scan
