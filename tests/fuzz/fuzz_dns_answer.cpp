// Fuzzes DNS reply parsing (net/dns_answer): every reply is read as MX, A, AAAA and TXT. Checks
// the promises of the header: no crash or hang on any octets (compression loops included),
// records within their bounds, MX names valid host names or the root.
#include <ares.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "net/dns_answer.hpp"

namespace {

template <class Answer>
void check_common(const Answer& answer) {
  if (answer.status != pw::net::DnsStatus::kOk && !answer.records.empty()) std::abort();
  if (answer.ttl > std::chrono::hours(24)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<unsigned char> message(data, data + size);
  using namespace pw::net;

  auto mx = parse_mx_reply(ARES_SUCCESS, message);
  check_common(mx);
  if (mx.records.size() > kMaxMxRecordsKept) std::abort();
  for (const auto& record : mx.records) {
    if (record.exchange != "." && !is_valid_host_name(record.exchange)) std::abort();
  }

  for (int type : {kDnsTypeA, kDnsTypeAaaa}) {
    auto addresses = parse_address_reply(ARES_SUCCESS, message, type);
    check_common(addresses);
    if (addresses.records.size() > kMaxAddressesPerReply) std::abort();
    for (const auto& address : addresses.records) {
      if (address.is_v4() != (type == kDnsTypeA)) std::abort();
    }
  }

  auto txt = parse_txt_reply(ARES_SUCCESS, message);
  check_common(txt);
  size_t total = 0;
  for (const auto& record : txt.records) {
    if (record.size() > kMaxTxtRecordOctets) std::abort();
    total += record.size();
  }
  if (total > kMaxTxtAnswerOctets) std::abort();

  // Negative answers read the SOA of the authority section.
  auto negative = parse_mx_reply(ARES_ENOTFOUND, message);
  if (negative.status != DnsStatus::kNxDomain) std::abort();
  return 0;
}
