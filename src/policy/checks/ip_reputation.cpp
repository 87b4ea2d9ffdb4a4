// F-IPREP: the reputation of the client IP at MAIL. Each DNS block list that lists it adds its
// weight, and, when [ip_reputation] history is on, a bad local history (enough messages in the
// window, a high share of spam verdicts) adds history_weight; at the threshold MAIL gets 550.
// Fails open: a block list that gives no answer is no listing (the client logs it).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "policy/check.hpp"

namespace pw::policy::checks {
namespace {

class IpReputation final : public Check {
 public:
  std::string_view name() const override { return "ip_reputation"; }
  Verdict evaluate(const Transaction& t, CheckContext& c) const override {
    const auto* config = t.ip_reputation_config;
    if (t.stage != Stage::kMail || config == nullptr) return pass();
    std::vector<Reason> reasons;
    std::vector<std::string> fired;
    double score = 0;
    if (t.ip_reputation) {
      for (const auto& zone : t.ip_reputation->zones) {
        if (zone.status != net::DnsblStatus::kListed) continue;
        std::string text = fmt::format("{} listed in {} (answer {})", t.client_ip, zone.zone,
                                       fmt::join(zone.codes, ","));
        if (!zone.text.empty()) text += ": " + zone.text;
        reasons.push_back({"dnsbl:" + zone.zone, std::move(text), zone.weight});
        fired.push_back(zone.zone);
        score += zone.weight;
      }
    }
    if (config->history && !t.client_ip.empty()) {
      const int64_t window = config->history_window_hours * 3600;
      const std::string subject = ip_subject(t.client_ip);
      int64_t messages = c.counters.sum(subject, counter::kMessages, window, t.now);
      int64_t spam = c.counters.sum(subject, counter::kSpam, window, t.now);
      double ratio = messages > 0 ? static_cast<double>(spam) / static_cast<double>(messages) : 0;
      if (messages >= config->history_min_messages && messages > 0 &&
          ratio >= config->history_spam_ratio) {
        reasons.push_back(
            {"ip_history",
             fmt::format("{} sent {} spam of {} messages in the last {} h (ratio {:.2f}, "
                         "limit {:.2f})",
                         t.client_ip, spam, messages, config->history_window_hours, ratio,
                         config->history_spam_ratio),
             config->history_weight, counted(ratio, config->history_spam_ratio)});
        fired.push_back("local history");
        score += config->history_weight;
      }
    }
    if (reasons.empty() || score <= 0 || score < config->threshold) return pass();
    Verdict v;
    v.action = Action::kReject;
    v.check = std::string(name());
    v.score = score;
    v.reasons = std::move(reasons);
    v.response = {550, "5.7.1",
                  fmt::format("Client IP {} has a bad reputation ({}); mail refused", t.client_ip,
                              fmt::join(fired, ", "))};
    return v;
  }
};

}  // namespace

std::unique_ptr<Check> make_ip_reputation() { return std::make_unique<IpReputation>(); }

}  // namespace pw::policy::checks
