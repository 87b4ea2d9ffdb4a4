// The declared outcomes (obs/outcomes) and their rendering on /metrics: every outcome is in its
// family, shown once with its label, and moves by exactly what was counted.
#include "obs/metrics.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace pw::obs {
namespace {

TEST(Outcomes, TheTableIsInOutcomeOrderAndEveryFamilyIsDeclared) {
  std::set<std::string_view> families;
  for (const auto& family : kFamilies) families.insert(family.name);
  std::set<std::pair<std::string_view, std::string_view>> seen;
  for (size_t i = 0; i < kOutcomes.size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(kOutcomes[i].outcome), i) << kOutcomes[i].value;
    EXPECT_TRUE(families.count(kOutcomes[i].family)) << kOutcomes[i].family;
    EXPECT_TRUE(seen.insert({kOutcomes[i].family, kOutcomes[i].value}).second)
        << "twice: " << kOutcomes[i].family << " " << kOutcomes[i].value;
    EXPECT_FALSE(kOutcomes[i].value.empty());
  }
}

TEST(Outcomes, CheckIndexFindsDeclaredNamesOnly) {
  EXPECT_EQ(check_index("locked"), 0u);
  EXPECT_EQ(check_index("external_scanners"), kCheckNames.size() - 1);
  EXPECT_FALSE(check_index("no_such_check"));
}

// The line of one sample in the rendered page, or "" when it is missing.
std::string sample(const std::string& page, const std::string& prefix) {
  size_t at = page.find("\n" + prefix + " ");
  if (at == std::string::npos) return "";
  size_t end = page.find('\n', at + 1);
  return page.substr(at + 1, end - at - 1);
}

TEST(Metrics, RendersEveryOutcomeAndCountsEachByOne) {
  Metrics m;
  m.count(Outcome::kAuthInvalidCredentials);
  m.count(Outcome::kAuthInvalidCredentials);
  m.count(Outcome::kBatvExpired);
  m.count_check(*check_index("virus"), CheckVerdict::kQuarantine);
  m.count_check(kCheckNames.size(), CheckVerdict::kReject);  // out of range: ignored
  const std::string page = m.render();
  for (const auto& spec : kOutcomes) {
    const std::string prefix = std::string(spec.family) + "{" + std::string(spec.label) + "=\"" +
                               std::string(spec.value) + "\"}";
    EXPECT_FALSE(sample(page, prefix).empty()) << prefix;
  }
  for (const auto& family : kFamilies)
    EXPECT_NE(page.find("# TYPE " + std::string(family.name) + " counter\n"), std::string::npos);
  EXPECT_EQ(sample(page, "postwarden_auth_failures_total{reason=\"invalid_credentials\"}"),
            "postwarden_auth_failures_total{reason=\"invalid_credentials\"} 2");
  EXPECT_EQ(sample(page, "postwarden_batv_results_total{result=\"expired\"}"),
            "postwarden_batv_results_total{result=\"expired\"} 1");
  EXPECT_EQ(sample(page, "postwarden_batv_results_total{result=\"bad_hash\"}"),
            "postwarden_batv_results_total{result=\"bad_hash\"} 0");
  EXPECT_EQ(sample(page, "postwarden_check_verdicts_total{check=\"virus\",verdict=\"quarantine\"}"),
            "postwarden_check_verdicts_total{check=\"virus\",verdict=\"quarantine\"} 1");
  EXPECT_EQ(m.value(Outcome::kAuthInvalidCredentials), 2u);
  EXPECT_EQ(m.value(Outcome::kDsnSent), 0u);
}

}  // namespace
}  // namespace pw::obs
