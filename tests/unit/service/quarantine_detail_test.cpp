// The quarantine detail's text (what the panel and GET /api/v1/quarantine/{id} show) is bounded by
// the node's [scan] limits, not by the compiled-in ones (issue 16: an administrator's limit was
// ignored there).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "config/config.hpp"
#include "scan/attachment_limits.hpp"
#include "service/quarantine_service.hpp"

namespace pw::service {
namespace {

QuarantineDetail detail_with_body(const std::string& body) {
  QuarantineDetail detail;
  detail.message =
      "From: alice@example.com\r\nTo: bob@example.org\r\nSubject: held\r\n"
      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
      body;
  return detail;
}

TEST(QuarantineDetailJson, TheNodesScanLimitsBoundTheTextShown) {
  config::Config c = config::default_config();
  const std::string body(2000, 'x');
  const auto roomy = quarantine_detail_json(detail_with_body(body), scan::mime_text_limits(c.scan));
  EXPECT_NE(roomy["text"].get<std::string>().find(body), std::string::npos);

  c.scan.max_decoded_bytes = 100;  // the administrator's lower limit: the body decodes to more
  const auto tight = quarantine_detail_json(detail_with_body(body), scan::mime_text_limits(c.scan));
  EXPECT_EQ(tight["text"].get<std::string>(), "");
  EXPECT_EQ(tight["headers"].size(), roomy["headers"].size());
}

}  // namespace
}  // namespace pw::service
