// The text of a lock's cause, from the counted spam messages.
#include "policy/lock_reason.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "policy/checks/common.hpp"

namespace pw::policy {
namespace {

void add_once(std::vector<std::string>& list, const std::string& item) {
  if (!item.empty() && std::find(list.begin(), list.end(), item) == list.end())
    list.push_back(item);
}

// The checks that caught the messages, in the order first seen, and the virus names:
// "the spam check", "the spam and virus checks (virus: Eicar-Signature)".
std::string checks_text(const LockEvidence& e) {
  std::vector<std::string> names;
  std::vector<std::string> details;
  for (const auto& m : e.messages) {
    add_once(names, m.check);
    add_once(details, m.detail);
  }
  if (names.empty()) add_once(names, e.last_check);
  if (names.empty()) return "";
  std::string text;
  if (names.size() == 1) {
    text = fmt::format("the {} check", names.front());
  } else {
    std::string last = names.back();
    names.pop_back();
    text = fmt::format("the {} and {} checks", fmt::join(names, ", "), last);
  }
  if (!details.empty()) text += fmt::format(" ({})", fmt::join(details, ", "));
  return text;
}

bool any_virus(const LockEvidence& e) {
  if (e.last_check == "virus") return true;
  return std::any_of(e.messages.begin(), e.messages.end(),
                     [](const SpamMessage& m) { return m.check == "virus"; });
}

}  // namespace

std::string lock_reason(const LockEvidence& e) {
  // Viruses count with spam (F-LOCK-WHY); the text says so when one is among them.
  std::string text =
      fmt::format("{} {} messages in {} minutes (more than {})", e.count,
                  any_virus(e) ? "spam or virus" : "spam", e.window_minutes, e.threshold);
  if (std::string checks = checks_text(e); !checks.empty()) text += ", found by " + checks;
  if (e.messages.empty()) return text;
  const bool all_held = std::all_of(e.messages.begin(), e.messages.end(),
                                    [](const auto& m) { return m.outcome == SpamOutcome::kHeld; });
  std::vector<std::string_view> ids;
  for (const auto& m : e.messages) ids.push_back(m.queue_id);
  const bool some = static_cast<int64_t>(e.messages.size()) < e.count;
  return fmt::format("{}; {}{} ids {}", text,
                     some ? fmt::format("the last {}: ", e.messages.size()) : std::string(),
                     all_held ? "quarantine" : "queue", fmt::join(ids, ", "));
}

std::string lock_messages(const LockEvidence& e) {
  if (e.messages.empty())
    return "  (not known: counted before the gateway last started, or no longer remembered)\n";
  std::string out;
  for (const auto& m : e.messages)
    out += fmt::format("  {}  {}  {} check{}, {}\n", m.queue_id, checks::utc_time(m.at), m.check,
                       m.detail.empty() ? "" : " (" + m.detail + ")", to_string(m.outcome));
  return out;
}

}  // namespace pw::policy
