// One named policy check. A check looks at a transaction at the stages it cares about and
// returns a verdict; adding a check is one new file in policy/checks/ and one line in
// policy/checks/all_checks.cpp.
#pragma once
#include <memory>
#include <string_view>
#include <vector>

#include "policy/transaction.hpp"
#include "policy/verdict.hpp"

namespace pw::policy {

class Check {
 public:
  virtual ~Check() = default;
  virtual std::string_view name() const = 0;
  virtual Verdict evaluate(const Transaction& t, CheckContext& c) const = 0;
  // False for checks that monitor mode must not soften (a lock is a decision already taken).
  virtual bool monitorable() const { return true; }
};

// Helpers for checks.
Verdict pass();
Verdict refuse(std::string_view check, Action action, Response response, std::string rule,
               std::string text, std::optional<Measured> measured = std::nullopt);

// Every check in its order (policy/checks/all_checks.cpp).
std::vector<std::unique_ptr<Check>> all_checks();

}  // namespace pw::policy
