// Runs the checks in order; monitor mode turns blocking verdicts into logged "would block".
#include "policy/policy_chain.hpp"

#include "obs/metrics.hpp"

namespace pw::policy {

std::string_view to_string(Stage stage) {
  switch (stage) {
    case Stage::kConnect:
      return "connect";
    case Stage::kMail:
      return "mail";
    case Stage::kRcpt:
      return "rcpt";
    case Stage::kData:
      return "data";
  }
  return "connect";
}

Verdict pass() { return {}; }

Verdict refuse(std::string_view check, Action action, Response response, std::string rule,
               std::string text, std::optional<Measured> measured) {
  Verdict v;
  v.action = action;
  v.check = std::string(check);
  v.response = std::move(response);
  v.reasons.push_back({std::move(rule), std::move(text), 0, measured});
  return v;
}

namespace {

obs::CheckVerdict counted_as(const Verdict& v) {
  using obs::CheckVerdict;
  if (v.monitor) return CheckVerdict::kWouldBlock;
  switch (v.action) {
    case Action::kTempfail:
      return CheckVerdict::kTempfail;
    case Action::kReject:
      return CheckVerdict::kReject;
    case Action::kQuarantine:
      return CheckVerdict::kQuarantine;
    case Action::kDiscard:
      return CheckVerdict::kDiscard;
    case Action::kPass:
      break;
  }
  return v.unsure ? CheckVerdict::kUnsure : CheckVerdict::kSpamNotBlocked;
}

}  // namespace

PolicyChain::PolicyChain() : PolicyChain(all_checks()) {}
PolicyChain::PolicyChain(std::vector<std::unique_ptr<Check>> checks) : checks_(std::move(checks)) {
  for (const auto& check : checks_) slots_.push_back(obs::check_index(check->name()));
}

void PolicyChain::count(size_t position, const Verdict& v) const {
  if (slots_[position]) obs::metrics().count_check(*slots_[position], counted_as(v));
}

ChainResult PolicyChain::run(const Transaction& t, CheckContext& c) const {
  ChainResult result;
  bool monitor = t.settings && t.settings->policy_mode == "monitor";
  for (size_t position = 0; position < checks_.size(); ++position) {
    const Check* check = checks_[position].get();
    Verdict v = check->evaluate(t, c);
    if (v.passed() && !v.spam && !v.unsure) continue;
    if (v.check.empty()) v.check = std::string(check->name());
    if (monitor && !v.passed() && check->monitorable()) v.monitor = true;
    count(position, v);
    if (v.passed() && v.unsure) {  // F-SPAM unsure: delivered, logged with its score
      result.decisions.push_back(v);
      result.verdict.unsure = true;
      continue;
    }
    if (v.passed()) {  // spam seen but not blocked (block_spam off): logged, counted
      result.decisions.push_back(v);
      if (!result.verdict.spam) {
        result.verdict.spam = true;
        result.verdict.reasons = v.reasons;
        result.verdict.score = v.score;
        result.verdict.check = v.check;
      }
      continue;
    }
    if (v.monitor) {
      result.decisions.push_back(v);
      // Spam is still counted in monitor mode (it only would have been blocked); the service
      // does not lock on it.
      if (v.spam && !result.verdict.spam) {
        result.verdict.spam = true;
        result.verdict.reasons = v.reasons;
        result.verdict.score = v.score;
        result.verdict.check = v.check;
      }
      continue;
    }
    result.decisions.push_back(v);
    result.verdict = std::move(v);
    return result;
  }
  return result;
}

std::vector<std::string_view> PolicyChain::names() const {
  std::vector<std::string_view> out;
  for (const auto& c : checks_) out.push_back(c->name());
  return out;
}

}  // namespace pw::policy
