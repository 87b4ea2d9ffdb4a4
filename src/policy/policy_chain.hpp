// The policy engine: the ordered chain of checks run over a transaction at each stage. The first
// verdict that is not a pass decides; in monitor mode (the user's policy_mode) a blocking verdict
// is only recorded as "would block" and the chain goes on. Every non-pass verdict is returned in
// `decisions` so that the session logs it ("why was this blocked?"), and counted in
// postwarden_check_verdicts_total.
#pragma once
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "policy/check.hpp"

namespace pw::policy {

struct ChainResult {
  Verdict verdict;                 // what to do (pass when nothing enforced blocks)
  std::vector<Verdict> decisions;  // every non-pass verdict, monitored ones included
};

class PolicyChain {
 public:
  PolicyChain();  // all_checks()
  explicit PolicyChain(std::vector<std::unique_ptr<Check>> checks);
  ChainResult run(const Transaction& t, CheckContext& c) const;
  std::vector<std::string_view> names() const;

 private:
  void count(std::size_t position, const Verdict& v) const;

  std::vector<std::unique_ptr<Check>> checks_;
  std::vector<std::optional<std::size_t>> slots_;  // each check's row in obs::kCheckNames
};

}  // namespace pw::policy
