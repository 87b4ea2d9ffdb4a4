// F-AV: clamd's verdict on the message (scan/clamd_client, run by the session on a worker thread
// before the chain). A virus is held in quarantine with its signature named and counts towards
// the automatic lock like spam (F-LOCK-WHY); a scan that failed (clamd unreachable, too slow,
// erring) has not proved the message clean: 451, the client tries again, never a silent pass.
// With [clamd] on_failure = accept the session logs the failure and leaves the field empty.
#include <fmt/format.h>

#include "policy/check.hpp"

namespace pw::policy::checks {
namespace {

class Virus final : public Check {
 public:
  std::string_view name() const override { return "virus"; }
  Verdict evaluate(const Transaction& t, CheckContext&) const override {
    if (t.stage != Stage::kData || !t.virus || t.virus->clean()) return pass();
    const auto& scan = *t.virus;
    if (scan.failed())
      return refuse(
          name(), Action::kTempfail,
          {451, "4.7.1", fmt::format("Virus scan failed ({}); try again later", scan.error)},
          "virus_scan_failed", scan.error);
    Verdict v = refuse(
        name(), Action::kQuarantine,
        {550, "5.7.1", fmt::format("Virus found: {}; message held in quarantine", scan.signature)},
        "virus", scan.signature);
    v.spam = true;  // counts towards the automatic lock (F-LOCK-WHY)
    return v;
  }
};

}  // namespace

std::unique_ptr<Check> make_virus() { return std::make_unique<Virus>(); }

}  // namespace pw::policy::checks
