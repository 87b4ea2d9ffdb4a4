// F-LOCK, F-LOCK-ID: a locked user or identity may still connect and authenticate, but its mail
// is refused at MAIL (user, and identities known from AUTH or MAIL FROM) or at the end of DATA
// (identities found in headers), with when, why, and whom to ask.
#include <fmt/format.h>

#include "policy/check.hpp"
#include "policy/checks/common.hpp"

namespace pw::policy::checks {
namespace {

class LockedSender final : public Check {
 public:
  std::string_view name() const override { return "locked"; }
  bool monitorable() const override { return false; }
  Verdict evaluate(const Transaction& t, CheckContext& c) const override {
    if (t.stage != Stage::kMail && t.stage != Stage::kData) return pass();
    if (t.stage == Stage::kMail) {
      if (auto lock = c.locks.active(t.user_subject(), t.now))
        return refused(t, "user", t.sender.name, *lock);
    }
    if (!t.identity.empty()) {
      if (auto lock = c.locks.active(t.identity_subject(), t.now))
        return refused(t, "identity", t.identity, *lock);
    }
    return pass();
  }

 private:
  Verdict refused(const Transaction& t, std::string_view what, const std::string& who,
                  const LockState& lock) const {
    std::string until = lock.unlock_at ? "until " + utc_time(lock.unlock_at)
                                       : std::string("until an administrator unlocks it");
    Response reply{550, "5.7.1",
                   fmt::format("Sending as {} {} is locked since {} {} ({}); contact {}", what, who,
                               utc_time(lock.locked_at), until, lock.reason, contact(t))};
    return refuse(name(), Action::kReject, std::move(reply), std::string(what) + "_locked",
                  fmt::format("{} {} locked by {} at {}: {}", what, who, lock.locked_by,
                              utc_time(lock.locked_at), lock.reason));
  }
};

}  // namespace

std::unique_ptr<Check> make_locked_sender() { return std::make_unique<LockedSender>(); }

}  // namespace pw::policy::checks
