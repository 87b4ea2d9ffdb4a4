// DNS answers: what a look-up returns, and how a reply message becomes one. The parsing half
// of the resolver, apart so that it can be tested and fuzzed on bytes alone.
// Trust: every reply comes from the network (or an attacker's name server): names are checked,
// TTLs capped, records bounded in number and size; c-ares checks compression pointers.
#pragma once
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pw::net {

enum class DnsStatus {
  kOk,        // records found
  kNxDomain,  // the name does not exist (NXDOMAIN), or is not a valid DNS name
  kNoData,    // the name exists but has no record of the type asked (NOERROR, no answer)
  kTempFail,  // no answer now: timeout, SERVFAIL, REFUSED, network error, cancelled, resolver gone
};

std::string_view to_string(DnsStatus status);

template <class Record>
struct DnsAnswer {
  DnsStatus status = DnsStatus::kTempFail;
  std::vector<Record> records;  // empty unless kOk (and even then when every record was dropped)
  std::chrono::seconds ttl{0};  // how long the answer holds; what is left of it on a cache hit
  std::string reason;           // why it is not kOk, one printable line ("timeout", "NXDOMAIN")
  size_t dropped = 0;           // records refused: malformed MX names, beyond a bound below
  bool from_cache = false;
  // kNxDomain/kNoData: `ttl` came from the zone's SOA (RFC 2308 5), not the resolver's default.
  bool ttl_from_soa = false;
};

struct MxRecord {
  uint16_t preference = 0;  // RFC 5321 5.1: lower is tried first
  std::string exchange;     // lower-case host name without the final dot; "." is null MX (RFC 7505)
};

using MxAnswer = DnsAnswer<MxRecord>;
using AddressAnswer = DnsAnswer<boost::asio::ip::address>;
using TxtAnswer = DnsAnswer<std::string>;  // one string per record, its strings joined (RFC 7208)

// A host name as mail may be routed to it: LDH labels of 1-63 octets that neither start nor end
// with a hyphen, at most 253 octets, no final dot, any letter case (RFC 1123 2.1).
bool is_valid_host_name(std::string_view name);

// RR types asked (RFC 1035 3.2.2, RFC 3596 2.1).
inline constexpr int kDnsTypeA = 1;
inline constexpr int kDnsTypeMx = 15;
inline constexpr int kDnsTypeTxt = 16;
inline constexpr int kDnsTypeAaaa = 28;

// Bounds on what one answer keeps (the rest is counted in `dropped`), so that the answer cache
// holds at most cache_entries times this much. A reply is at most 64 KiB (TCP), and a hostile
// name server fills it: 1,000 MX records, one 60 KiB TXT record.
inline constexpr size_t kMaxMxRecordsKept = 64;       // lowest preferences first
inline constexpr size_t kMaxAddressesPerReply = 64;   // of one family
inline constexpr size_t kMaxTxtRecordOctets = 4096;   // one record, its strings joined
inline constexpr size_t kMaxTxtAnswerOctets = 16384;  // all records of one answer

// The name as we send it: lower-case, no final dot; nullopt when it cannot be a DNS name.
std::optional<std::string> canonical_query_name(std::string_view name);

// A reply as c-ares delivered it (`ares_status` ARES_SUCCESS with the message, or its error
// with whatever message came), made an answer. Never throws; any octets are safe.
MxAnswer parse_mx_reply(int ares_status, const std::vector<unsigned char>& message);
AddressAnswer parse_address_reply(int ares_status, const std::vector<unsigned char>& message,
                                  int type);  // kDnsTypeA or kDnsTypeAaaa
TxtAnswer parse_txt_reply(int ares_status, const std::vector<unsigned char>& message);
// An answer for a look-up that never reached the network ("invalid name", "resolver gone").
template <class Answer>
Answer failed_answer(DnsStatus status, std::string_view reason) {
  Answer answer;
  answer.status = status;
  answer.reason = std::string(reason);
  return answer;
}

// A and AAAA answers as one (the rules are at DnsResolver::addresses()).
AddressAnswer combine_addresses(AddressAnswer v4, AddressAnswer v6);

}  // namespace pw::net
