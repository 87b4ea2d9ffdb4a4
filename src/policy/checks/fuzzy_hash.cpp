// F-FUZZY: the admin's hash block list and outbreak detection. A message carrying a listed
// attachment (SHA-256) or a body whose fuzzy fingerprint matches a listed one is held as spam;
// so is a campaign that `[fuzzy] outbreak_users` distinct users sent within the window. The
// lookups ran on a worker thread before the chain (policy/fuzzy_inspection); the result is in
// the transaction.
// A block list hit is the admin's decision: held whatever the user's block_spam says. An
// outbreak is a heuristic spam signal: held when the user blocks spam, else marked as spam and
// passed (counted towards automatic locks either way, like F-SPAM's verdicts).
#include <fmt/format.h>

#include "policy/check.hpp"

namespace pw::policy::checks {
namespace {

// Attachment names are client text: control characters become '?' and the length is bounded
// before they reach reasons (logs, the decisions table, the quarantine list).
constexpr std::size_t kMaxFileNameInReason = 200;

std::string printable_name(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, kMaxFileNameInReason)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7F || c == '"' || c == '\\' ? '?' : c);
  }
  return out;
}

class FuzzyHash final : public Check {
 public:
  std::string_view name() const override { return "fuzzy_hash"; }
  Verdict evaluate(const Transaction& t, CheckContext&) const override {
    if (t.stage != Stage::kData || !t.fuzzy) return pass();
    const FuzzyResult& f = *t.fuzzy;
    Verdict v;
    v.check = std::string(name());
    if (f.block_hit) {
      const auto& hit = *f.block_hit;
      const std::string note = hit.note.empty() ? "" : fmt::format(" ({})", hit.note);
      if (hit.kind == "sha256") {
        v.reasons.push_back({"hash_blocklist",
                             fmt::format("attachment {} matches SHA-256 block list entry {}{}",
                                         printable_name(hit.file), hit.id, note),
                             0});
      } else {
        v.reasons.push_back(
            {"fuzzy_blocklist",
             fmt::format("body matches fuzzy block list entry {}{} with similarity {:.2f}", hit.id,
                         note, hit.similarity),
             0});
      }
      v.spam = true;
      v.action = Action::kQuarantine;
      v.response = spam_held();
    }
    if (f.outbreak()) {
      v.reasons.push_back(
          {"outbreak",
           fmt::format("{} distinct users sent this campaign within {} minutes (threshold {})",
                       f.outbreak_users, f.outbreak_window_minutes, f.outbreak_threshold),
           static_cast<double>(f.outbreak_score),
           counted(static_cast<double>(f.outbreak_users),
                   static_cast<double>(f.outbreak_threshold))});
      v.score += static_cast<double>(f.outbreak_score);
      v.spam = true;
      if (t.settings->block_spam) {
        v.action = Action::kQuarantine;
        v.response = spam_held();
      }
    }
    if (!v.spam) return pass();
    return v;
  }
};

}  // namespace

std::unique_ptr<Check> make_fuzzy_hash() { return std::make_unique<FuzzyHash>(); }

}  // namespace pw::policy::checks
