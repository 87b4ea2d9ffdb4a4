// Names of policy actions, the one-line form of a verdict's answer and of its reasons.
#include "policy/verdict.hpp"

#include <fmt/format.h>

namespace pw::policy {

std::string_view to_string(Action action) {
  switch (action) {
    case Action::kPass:
      return "pass";
    case Action::kTempfail:
      return "tempfail";
    case Action::kReject:
      return "reject";
    case Action::kQuarantine:
      return "quarantine";
    case Action::kDiscard:
      return "discard";
  }
  return "pass";
}

std::string Response::line() const {
  if (code == 0) return "";
  if (enhanced.empty()) return fmt::format("{} {}", code, text);
  return fmt::format("{} {} {}", code, enhanced, text);
}

Measured counted(double counter, double limit) { return {counter, limit, std::nullopt}; }
Measured scored(double score, double threshold) { return {std::nullopt, threshold, score}; }

Response spam_held() { return {550, "5.7.1", "Message blocked as spam and held in quarantine"}; }

std::string Verdict::reasons_text() const {
  std::string text;
  for (const auto& r : reasons) {
    if (!text.empty()) text += "; ";
    text += r.rule;
    if (!r.text.empty()) text += ": " + r.text;
  }
  return text;
}

}  // namespace pw::policy
