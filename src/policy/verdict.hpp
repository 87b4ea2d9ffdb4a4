// What a policy check decides about a transaction, and why. Every check returns one; the chain
// keeps the first that is not a pass (and all reasons), and the log stores them all.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pw::policy {

enum class Action { kPass, kTempfail, kReject, kQuarantine, kDiscard };

std::string_view to_string(Action action);

// The SMTP answer of a verdict that blocks, in its parts: the basic code, the RFC 3463 enhanced
// code and the text. The session turns it into a reply without parsing anything.
struct Response {
  int code = 0;  // 0: no answer given (a pass, or a check that only scores)
  std::string enhanced;
  std::string text;

  // "550 5.7.1 text" for logs and reports; "" when there is no code.
  std::string line() const;
};

// The answer of every check that holds a message as spam in quarantine.
Response spam_held();

// What a check measured when it decided: a counter and its limit (rates, sizes, ratios), or a
// score and the threshold it reached. The panel's decision trail shows them as they are.
struct Measured {
  std::optional<double> counter;
  std::optional<double> limit;
  std::optional<double> score;
};
Measured counted(double counter, double limit);
Measured scored(double score, double threshold);

// One named reason: the rule that fired, what it saw in words, what it measured (counting
// checks), and the score it adds (0 for rules that are not scores).
struct Reason {
  Reason() = default;
  Reason(std::string rule_name, std::string what, double added = 0,
         std::optional<Measured> values = std::nullopt)
      : rule(std::move(rule_name)), text(std::move(what)), score(added), measured(values) {}

  std::string rule;
  std::string text;
  double score = 0;
  std::optional<Measured> measured;
};

struct Verdict {
  Action action = Action::kPass;
  std::string check;  // the check that decided: "gtube", "rate_limit", "locked", ...
  Response response;  // the SMTP answer for tempfail, reject and quarantine
  std::vector<Reason> reasons;
  double score = 0;
  bool spam = false;     // confident spam: counts towards automatic locks (F-LOCK)
  bool unsure = false;   // the classifier is unsure: passed, logged and counted apart
  bool monitor = false;  // the check is in monitor mode: logged as "would block", not enforced

  bool passed() const { return action == Action::kPass; }
  std::string reply() const { return response.line(); }
  // "rule: text; rule: text"
  std::string reasons_text() const;
};

}  // namespace pw::policy
