// F-MACRO and F-PUA: "Block attachments with macros for senders" and "Block potentially unwanted
// attachments" reject the message (550) naming the attachment and what was found. The scan
// itself (scan/attachment_scanner) runs on a worker thread before the chain, and its report is
// in the transaction. A scan that hit a limit (a zip bomb, too deep nesting) has not proved the
// message clean: it is refused too, never passed silently. So is an attachment or archive entry
// the scan could not read (encrypted, damaged, a compression method libzip lacks): fail closed.
#include <fmt/format.h>

#include "policy/check.hpp"

namespace pw::policy::checks {
namespace {

class Attachments final : public Check {
 public:
  std::string_view name() const override { return "attachments"; }
  Verdict evaluate(const Transaction& t, CheckContext&) const override {
    if (t.stage != Stage::kData || !t.attachments) return pass();
    const auto& s = *t.settings;
    for (const auto& f : t.attachments->findings) {
      if (f.kind == scan::kUnreadable) {
        // Fail closed (issue 15, item 11): what could not be read is not proven free of
        // macros or executables, so either setting refuses it.
        if (!s.block_macros && !s.block_pua) continue;
        return refuse(
            name(), Action::kReject,
            {550, "5.7.1",
             fmt::format("Attachment {} refused: it cannot be inspected ({})", f.file, f.detail)},
            "attachment_unreadable", f.file + ": " + f.detail);
      }
      bool macro = f.kind == scan::kMacro;
      if ((macro && !s.block_macros) || (!macro && !s.block_pua)) continue;
      return refuse(
          name(), Action::kReject,
          {550, "5.7.1",
           fmt::format("Attachment {} refused: {} ({})", f.file,
                       macro ? "it contains macros" : "potentially unwanted file", f.detail)},
          macro ? "block_macros" : "block_pua", f.file + ": " + f.detail);
    }
    if (t.attachments->limit_hit && (s.block_macros || s.block_pua))
      return refuse(
          name(), Action::kReject,
          {550, "5.7.1",
           fmt::format("Attachments could not be checked: {}", t.attachments->limit_reason)},
          "attachment_scan_limit", t.attachments->limit_reason);
    return pass();
  }
};

}  // namespace

std::unique_ptr<Check> make_attachments() { return std::make_unique<Attachments>(); }

}  // namespace pw::policy::checks
