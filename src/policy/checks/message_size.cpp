// F-SIZE per user: the user's maximum message size, from the SIZE parameter at MAIL and from the
// message read at the end of DATA (the server-wide smtp.max_message_size applies before).
#include <fmt/format.h>

#include "policy/check.hpp"

namespace pw::policy::checks {
namespace {

class MessageSize final : public Check {
 public:
  std::string_view name() const override { return "message_size"; }
  Verdict evaluate(const Transaction& t, CheckContext&) const override {
    int64_t limit = t.settings->max_message_size;
    if (limit <= 0) return pass();
    uint64_t size = 0;
    if (t.stage == Stage::kMail && t.declared_size)
      size = *t.declared_size;
    else if (t.stage == Stage::kData)
      size = t.size;
    if (size <= static_cast<uint64_t>(limit)) return pass();
    return refuse(
        name(), Action::kReject,
        {552, "5.3.4",
         fmt::format("Message size {} exceeds the limit of {} for {}", size, limit, t.sender.name)},
        "max_message_size", fmt::format("{} bytes (limit {})", size, limit),
        counted(static_cast<double>(size), static_cast<double>(limit)));
  }
};

}  // namespace

std::unique_ptr<Check> make_message_size() { return std::make_unique<MessageSize>(); }

}  // namespace pw::policy::checks
