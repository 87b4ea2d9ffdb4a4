// Names of policy actions and the one-line form of a verdict's reasons.
#include "policy/verdict.hpp"

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
