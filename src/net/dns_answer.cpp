// From DNS reply messages to answers: c-ares 1.18 parses the records; MX/TXT TTLs and the SOA
// of a negative answer are read by hand (c-ares 1.18 drops them; a record iterator came in 1.22).
// Trust: replies come from the network: names are checked, TTLs capped, records bounded,
// every read bounds-checked; c-ares's ares_expand_name refuses compression loops.
#include "net/dns_answer.hpp"

#include <ares.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>
#include <cstring>
#include <memory>
#include <type_traits>

#include "util/ascii_text.hpp"

namespace pw::net {

namespace asio = boost::asio;

namespace {

// Negative answers without an SOA to say how long they hold are kept this long (RFC 2308 5).
constexpr std::chrono::seconds kDefaultNegativeTtl{60};
// No answer is kept longer than a day, whatever its TTL says.
constexpr std::chrono::seconds kMaxTtl{24 * 60 * 60};
constexpr size_t kMaxDnsName = 253;  // RFC 1035 2.3.4, without the final dot
constexpr size_t kMaxLabel = 63;     // RFC 1035 2.3.4

constexpr int kTypeSoa = 6;  // RFC 1035 3.2.2

// DNS message layout (RFC 1035 4.1): header, then the fixed parts after each name.
constexpr size_t kHeaderSize = 12;
constexpr size_t kQuestionFixedSize = 4;        // type, class
constexpr size_t kRecordFixedSize = 10;         // type, class, TTL, RDLENGTH
constexpr size_t kSoaCountersSize = 20;         // serial, refresh, retry, expire, minimum
constexpr uint32_t kMaxSignedTtl = 0x7fffffff;  // RFC 2181 8: a TTL with the top bit set is 0

// The status the resolver gives a query that never came back (resolver destroyed).
constexpr int kNotDelivered = -1;

struct AresDataDeleter {
  void operator()(void* data) const { ares_free_data(data); }
};
using MxReplyPtr = std::unique_ptr<ares_mx_reply, AresDataDeleter>;
using TxtReplyPtr = std::unique_ptr<ares_txt_ext, AresDataDeleter>;

struct AresStringDeleter {
  void operator()(char* text) const { ares_free_string(text); }
};
using AresStringPtr = std::unique_ptr<char, AresStringDeleter>;

bool is_letter_or_digit(char c) {
  c = util::ascii_lower(c);
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// Dot-separated labels of 1-63 octets within 253 octets; `host` adds the LDH rules of RFC 1123
// (letters, digits, inner hyphens), otherwise an underscore is allowed too (_dmarc, _domainkey).
bool has_valid_labels(std::string_view name, bool host) {
  if (name.empty() || name.size() > kMaxDnsName) return false;
  size_t start = 0;
  while (true) {
    size_t end = name.find('.', start);
    std::string_view label = name.substr(start, end == std::string_view::npos ? end : end - start);
    if (label.empty() || label.size() > kMaxLabel) return false;
    for (char c : label) {
      if (!is_letter_or_digit(c) && c != '-' && (host || c != '_')) return false;
    }
    if (host && (label.front() == '-' || label.back() == '-')) return false;
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

std::string lower_without_final_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return util::ascii_lowercase(name);
}

// An MX exchange as c-ares expands it: "" is the root (null MX); c-ares writes unusual octets as
// \. or \DDD escapes, which fail the LDH check like every other malformed name.
std::optional<std::string> canonical_exchange(const char* host) {
  std::string_view text = host == nullptr ? std::string_view() : std::string_view(host);
  if (text.empty() || text == ".") return std::string(".");
  std::string canonical = lower_without_final_dot(text);
  if (!is_valid_host_name(canonical)) return std::nullopt;
  return canonical;
}

// ---- DNS message fields that c-ares 1.18 does not hand out: TTLs of MX and TXT records and the
// SOA of a negative answer (its parsers drop them; a record iterator came only in c-ares 1.22).

uint16_t read16(const std::vector<unsigned char>& m, size_t at) {
  return static_cast<uint16_t>((m[at] << 8) | m[at + 1]);
}

uint32_t read_ttl(const std::vector<unsigned char>& m, size_t at) {
  uint32_t value = (static_cast<uint32_t>(m[at]) << 24) | (static_cast<uint32_t>(m[at + 1]) << 16) |
                   (static_cast<uint32_t>(m[at + 2]) << 8) | static_cast<uint32_t>(m[at + 3]);
  return value > kMaxSignedTtl ? 0 : value;
}

// Moves `at` past the (possibly compressed) name there; c-ares checks the pointers.
bool skip_name(const std::vector<unsigned char>& m, size_t& at) {
  if (at >= m.size()) return false;
  char* expanded = nullptr;
  long encoded_length = 0;
  if (ares_expand_name(m.data() + at, m.data(), static_cast<int>(m.size()), &expanded,
                       &encoded_length) != ARES_SUCCESS) {
    return false;
  }
  AresStringPtr owner(expanded);
  if (encoded_length <= 0 || static_cast<size_t>(encoded_length) > m.size() - at) return false;
  at += static_cast<size_t>(encoded_length);
  return true;
}

struct MessageTtls {
  std::optional<uint32_t> answer_min;  // the lowest TTL in the answer section
  std::optional<uint32_t> negative;    // RFC 2308 5: min(SOA TTL, SOA MINIMUM) from authority
};

MessageTtls read_ttls(const std::vector<unsigned char>& m) {
  MessageTtls ttls;
  if (m.size() < kHeaderSize) return ttls;
  size_t questions = read16(m, 4);
  size_t answers = read16(m, 6);
  size_t authorities = read16(m, 8);
  size_t at = kHeaderSize;
  for (size_t i = 0; i < questions; ++i) {
    if (!skip_name(m, at) || m.size() - at < kQuestionFixedSize) return ttls;
    at += kQuestionFixedSize;
  }
  for (size_t i = 0; i < answers + authorities; ++i) {
    if (!skip_name(m, at) || m.size() - at < kRecordFixedSize) return ttls;
    int type = read16(m, at);
    uint32_t ttl = read_ttl(m, at + 4);
    size_t data_length = read16(m, at + 8);
    at += kRecordFixedSize;
    if (m.size() - at < data_length) return ttls;
    if (i < answers) {
      ttls.answer_min = std::min(ttls.answer_min.value_or(ttl), ttl);
    } else if (type == kTypeSoa && !ttls.negative) {
      size_t field = at;  // MNAME, RNAME, then the counters with MINIMUM last
      if (skip_name(m, field) && skip_name(m, field) &&
          field + kSoaCountersSize <= at + data_length) {
        ttls.negative = std::min(ttl, read_ttl(m, field + kSoaCountersSize - 4));
      }
    }
    at += data_length;
  }
  return ttls;
}

std::chrono::seconds capped(uint32_t ttl) { return std::min(std::chrono::seconds(ttl), kMaxTtl); }

// ---- From c-ares results to answers.

// A reply that holds no records: the status and why, and for a negative one how long it holds.
template <class Answer>
Answer negative_answer(int ares_status, const std::vector<unsigned char>& message) {
  Answer answer;
  switch (ares_status) {
    case ARES_ENOTFOUND:  // ares_query's word for RCODE NXDOMAIN
      answer.status = DnsStatus::kNxDomain;
      answer.reason = "NXDOMAIN";
      break;
    case ARES_ENODATA:  // NOERROR with no record of the type asked
      answer.status = DnsStatus::kNoData;
      answer.reason = "no records of that type";
      break;
    case ARES_EBADNAME:
      answer.status = DnsStatus::kNxDomain;
      answer.reason = "invalid name";
      break;
    case ARES_ESERVFAIL:
      answer.reason = "SERVFAIL";
      break;
    case ARES_EREFUSED:
      answer.reason = "REFUSED";
      break;
    case ARES_EFORMERR:
      answer.reason = "FORMERR";
      break;
    case ARES_ENOTIMP:
      answer.reason = "NOTIMP";
      break;
    case ARES_ETIMEOUT:
      answer.reason = "timeout";
      break;
    case ARES_ECONNREFUSED:
      answer.reason = "connection refused";
      break;
    case ARES_EBADRESP:
      answer.reason = "malformed reply";
      break;
    case ARES_EDESTRUCTION:
    case kNotDelivered:
      answer.reason = "resolver destroyed";
      break;
    case ARES_ECANCELLED:
      answer.reason = "cancelled";
      break;
    default:
      answer.reason = ares_strerror(ares_status);
      break;
  }
  if (answer.status == DnsStatus::kNxDomain || answer.status == DnsStatus::kNoData) {
    auto negative = read_ttls(message).negative;
    answer.ttl = negative ? capped(*negative) : kDefaultNegativeTtl;
    answer.ttl_from_soa = negative.has_value();
  }
  return answer;
}

// A parser's status for a reply that came: "no records" stays so, anything else (a bad name,
// a loop, a short message) is a malformed reply, a temporary failure; never NXDOMAIN, which
// would bounce mail on a name server's garbage.
int parse_failure(int status) { return status == ARES_ENODATA ? status : ARES_EBADRESP; }

}  // namespace

MxAnswer parse_mx_reply(int ares_status, const std::vector<unsigned char>& message) {
  if (ares_status != ARES_SUCCESS) return negative_answer<MxAnswer>(ares_status, message);
  ares_mx_reply* head = nullptr;
  int status = ares_parse_mx_reply(message.data(), static_cast<int>(message.size()), &head);
  MxReplyPtr owner(head);
  if (status != ARES_SUCCESS) return negative_answer<MxAnswer>(parse_failure(status), message);
  MxAnswer answer;
  for (auto* record = head; record != nullptr; record = record->next) {
    auto exchange = canonical_exchange(record->host);
    if (!exchange) {
      ++answer.dropped;
      continue;
    }
    answer.records.push_back(MxRecord{record->priority, std::move(*exchange)});
  }
  if (answer.records.empty() && answer.dropped == 0) {
    return negative_answer<MxAnswer>(ARES_ENODATA, message);
  }
  if (answer.records.size() > kMaxMxRecordsKept) {  // keep the lowest preferences
    std::stable_sort(
        answer.records.begin(), answer.records.end(),
        [](const MxRecord& x, const MxRecord& y) { return x.preference < y.preference; });
    answer.dropped += answer.records.size() - kMaxMxRecordsKept;
    answer.records.resize(kMaxMxRecordsKept);
  }
  answer.status = DnsStatus::kOk;
  answer.ttl = capped(read_ttls(message).answer_min.value_or(0));
  return answer;
}

AddressAnswer parse_address_reply(int ares_status, const std::vector<unsigned char>& message,
                                  int type) {
  if (ares_status != ARES_SUCCESS) return negative_answer<AddressAnswer>(ares_status, message);
  const auto* data = message.data();
  int length = static_cast<int>(message.size());
  AddressAnswer answer;
  std::optional<int> min_ttl;
  auto note_ttl = [&min_ttl](int ttl) { min_ttl = std::min(min_ttl.value_or(ttl), ttl); };
  int count = static_cast<int>(kMaxAddressesPerReply);
  int status = ARES_SUCCESS;
  if (type == kDnsTypeA) {
    std::array<ares_addrttl, kMaxAddressesPerReply> found{};
    status = ares_parse_a_reply(data, length, nullptr, found.data(), &count);
    for (int i = 0; status == ARES_SUCCESS && i < count; ++i) {
      asio::ip::address_v4::bytes_type bytes;
      std::memcpy(bytes.data(), &found[i].ipaddr, bytes.size());
      answer.records.emplace_back(asio::ip::make_address_v4(bytes));
      note_ttl(found[i].ttl);
    }
  } else {
    std::array<ares_addr6ttl, kMaxAddressesPerReply> found{};
    status = ares_parse_aaaa_reply(data, length, nullptr, found.data(), &count);
    for (int i = 0; status == ARES_SUCCESS && i < count; ++i) {
      asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), &found[i].ip6addr, bytes.size());
      answer.records.emplace_back(asio::ip::make_address_v6(bytes));
      note_ttl(found[i].ttl);
    }
  }
  if (status != ARES_SUCCESS) return negative_answer<AddressAnswer>(parse_failure(status), message);
  if (answer.records.empty()) return negative_answer<AddressAnswer>(ARES_ENODATA, message);
  // The answer section's lowest TTL covers a CNAME on the way as well.
  uint32_t ttl = static_cast<uint32_t>(std::max(0, min_ttl.value_or(0)));
  if (auto section_min = read_ttls(message).answer_min) ttl = std::min(ttl, *section_min);
  answer.status = DnsStatus::kOk;
  answer.ttl = capped(ttl);
  return answer;
}

TxtAnswer parse_txt_reply(int ares_status, const std::vector<unsigned char>& message) {
  if (ares_status != ARES_SUCCESS) return negative_answer<TxtAnswer>(ares_status, message);
  ares_txt_ext* head = nullptr;
  int status = ares_parse_txt_reply_ext(message.data(), static_cast<int>(message.size()), &head);
  TxtReplyPtr owner(head);
  if (status != ARES_SUCCESS) return negative_answer<TxtAnswer>(parse_failure(status), message);
  TxtAnswer answer;
  std::vector<std::string> records;
  for (auto* chunk = head; chunk != nullptr; chunk = chunk->next) {
    if (chunk->record_start != 0 || records.empty()) records.emplace_back();
    if (records.back().size() <= kMaxTxtRecordOctets)  // one octet over marks it too long
      records.back().append(reinterpret_cast<const char*>(chunk->txt),
                            std::min(chunk->length, kMaxTxtRecordOctets + 1));
  }
  if (records.empty()) return negative_answer<TxtAnswer>(ARES_ENODATA, message);
  size_t total = 0;
  for (auto& record : records) {
    if (record.size() > kMaxTxtRecordOctets || total + record.size() > kMaxTxtAnswerOctets) {
      ++answer.dropped;  // a name server filling 64 KiB: kept neither in memory nor in cache
      continue;
    }
    total += record.size();
    answer.records.push_back(std::move(record));
  }
  answer.status = DnsStatus::kOk;
  answer.ttl = capped(read_ttls(message).answer_min.value_or(0));
  return answer;
}

AddressAnswer combine_addresses(AddressAnswer v4, AddressAnswer v6) {
  auto ttl_of = [](const AddressAnswer& a, const AddressAnswer& b) {
    if (a.status == DnsStatus::kTempFail) return b.ttl;
    if (b.status == DnsStatus::kTempFail) return a.ttl;
    return std::min(a.ttl, b.ttl);
  };
  AddressAnswer out;
  out.ttl = ttl_of(v4, v6);
  out.dropped = v4.dropped + v6.dropped;
  out.from_cache = v4.from_cache && v6.from_cache;
  if (v4.status == DnsStatus::kOk || v6.status == DnsStatus::kOk) {
    out.status = DnsStatus::kOk;
    out.records = std::move(v4.records);
    out.records.insert(out.records.end(), v6.records.begin(), v6.records.end());
    return out;
  }
  if (v4.status == DnsStatus::kNxDomain || v6.status == DnsStatus::kNxDomain) {
    out.status = DnsStatus::kNxDomain;
    out.reason = v4.status == DnsStatus::kNxDomain ? v4.reason : v6.reason;
    return out;
  }
  if (v4.status == DnsStatus::kNoData && v6.status == DnsStatus::kNoData) {
    out.status = DnsStatus::kNoData;
    out.reason = "no A or AAAA records";
    return out;
  }
  // At least one family failed and the other has nothing: "no addresses" is not known yet.
  out.status = DnsStatus::kTempFail;
  out.reason = "A: " + (v4.reason.empty() ? std::string(to_string(v4.status)) : v4.reason) +
               ", AAAA: " + (v6.reason.empty() ? std::string(to_string(v6.status)) : v6.reason);
  return out;
}

// The name we send: lower-case, no final dot; nullopt when it cannot be a DNS name.
std::optional<std::string> canonical_query_name(std::string_view name) {
  std::string canonical = lower_without_final_dot(name);
  if (!has_valid_labels(canonical, false)) return std::nullopt;
  return canonical;
}

std::string_view to_string(DnsStatus status) {
  switch (status) {
    case DnsStatus::kOk:
      return "ok";
    case DnsStatus::kNxDomain:
      return "nxdomain";
    case DnsStatus::kNoData:
      return "nodata";
    case DnsStatus::kTempFail:
      return "tempfail";
  }
  return "unknown";
}

bool is_valid_host_name(std::string_view name) { return has_valid_labels(name, true); }

}  // namespace pw::net
