// DNS replies from a hostile name server, as bytes (issue 15, item 16): compression loops and
// pointers out of the message, 1,000 MX records, oversized TXT records, truncated replies.
#include "net/dns_answer.hpp"

#include <ares.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace pw::net {
namespace {

using Bytes = std::vector<unsigned char>;

void put16(Bytes& m, unsigned value) {
  m.push_back(static_cast<unsigned char>(value >> 8));
  m.push_back(static_cast<unsigned char>(value & 0xff));
}

void put_name(Bytes& m, const std::string& name) {
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    m.push_back(static_cast<unsigned char>(dot - start));
    m.insert(m.end(), name.begin() + static_cast<long>(start),
             name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  m.push_back(0);
}

// A reply header and the question `name`/`type`, with `answers` records to follow.
Bytes reply(const std::string& name, int type, unsigned answers) {
  Bytes m;
  put16(m, 0x1234);  // id
  put16(m, 0x8180);  // response, recursion desired and available, NOERROR
  put16(m, 1);       // one question
  put16(m, answers);
  put16(m, 0);
  put16(m, 0);
  put_name(m, name);
  put16(m, static_cast<unsigned>(type));
  put16(m, 1);
  return m;
}

// A record owned by the question's name (a pointer to offset 12), with `data` as its RDATA.
void put_record(Bytes& m, int type, const Bytes& data, unsigned ttl = 300) {
  put16(m, 0xc00c);
  put16(m, static_cast<unsigned>(type));
  put16(m, 1);
  put16(m, ttl >> 16);
  put16(m, ttl & 0xffff);
  put16(m, static_cast<unsigned>(data.size()));
  m.insert(m.end(), data.begin(), data.end());
}

Bytes mx_data(unsigned preference, const std::string& host) {
  Bytes d;
  put16(d, preference);
  put_name(d, host);
  return d;
}

TEST(DnsAnswerTest, ReadsAnOrdinaryMxReply) {
  Bytes m = reply("example.test", kDnsTypeMx, 2);
  put_record(m, kDnsTypeMx, mx_data(20, "mx2.example.test"), 600);
  put_record(m, kDnsTypeMx, mx_data(10, "MX1.example.test"), 300);
  auto answer = parse_mx_reply(ARES_SUCCESS, m);
  ASSERT_EQ(answer.status, DnsStatus::kOk) << answer.reason;
  ASSERT_EQ(answer.records.size(), 2u);
  EXPECT_EQ(answer.records[1].exchange, "mx1.example.test");
  EXPECT_EQ(answer.ttl, std::chrono::seconds(300));
}

TEST(DnsAnswerTest, ACompressionLoopIsAMalformedReplyNotAHang) {
  Bytes m = reply("loop.test", kDnsTypeMx, 1);
  // The exchange name is a pointer to itself: following it would never end.
  Bytes data;
  put16(data, 10);
  size_t self = m.size() + 12 + 2;  // where the exchange name will sit in the message
  put16(data, 0xc000 | static_cast<unsigned>(self));
  put_record(m, kDnsTypeMx, data);
  auto answer = parse_mx_reply(ARES_SUCCESS, m);
  EXPECT_EQ(answer.status, DnsStatus::kTempFail);
  EXPECT_TRUE(answer.records.empty());

  // Two names that point at each other, in the owner of an address record.
  Bytes a = reply("loop.test", kDnsTypeA, 1);
  size_t here = a.size();
  put16(a, 0xc000 | static_cast<unsigned>(here + 2));
  put16(a, 0xc000 | static_cast<unsigned>(here));
  auto addresses = parse_address_reply(ARES_SUCCESS, a, kDnsTypeA);
  EXPECT_EQ(addresses.status, DnsStatus::kTempFail);
}

TEST(DnsAnswerTest, APointerOutOfTheMessageIsMalformed) {
  Bytes m = reply("out.test", kDnsTypeMx, 1);
  Bytes data;
  put16(data, 10);
  put16(data, 0xc000 | 0x3fff);
  put_record(m, kDnsTypeMx, data);
  EXPECT_EQ(parse_mx_reply(ARES_SUCCESS, m).status, DnsStatus::kTempFail);
}

TEST(DnsAnswerTest, AThousandMxRecordsKeepTheLowestPreferencesWithinTheBound) {
  Bytes m = reply("many.test", kDnsTypeMx, 1000);
  for (unsigned i = 0; i < 1000; ++i) {
    put_record(m, kDnsTypeMx, mx_data(1000 - i, "mx" + std::to_string(i) + ".many.test"));
  }
  ASSERT_LT(m.size(), 65536u);
  auto answer = parse_mx_reply(ARES_SUCCESS, m);
  ASSERT_EQ(answer.status, DnsStatus::kOk) << answer.reason;
  ASSERT_EQ(answer.records.size(), kMaxMxRecordsKept);
  EXPECT_EQ(answer.dropped, 1000 - kMaxMxRecordsKept);
  EXPECT_EQ(answer.records.front().preference, 1u);
  EXPECT_EQ(answer.records.front().exchange, "mx999.many.test");
  EXPECT_EQ(answer.records.back().preference, kMaxMxRecordsKept);
}

TEST(DnsAnswerTest, MalformedMxNamesAreDroppedNotReturned) {
  Bytes m = reply("odd.test", kDnsTypeMx, 2);
  Bytes bad;
  put16(bad, 10);
  bad.push_back(5);
  for (char c : std::string("a b\x01c")) bad.push_back(static_cast<unsigned char>(c));
  bad.push_back(0);
  put_record(m, kDnsTypeMx, bad);
  put_record(m, kDnsTypeMx, mx_data(20, "good.odd.test"));
  auto answer = parse_mx_reply(ARES_SUCCESS, m);
  ASSERT_EQ(answer.status, DnsStatus::kOk);
  ASSERT_EQ(answer.records.size(), 1u);
  EXPECT_EQ(answer.records[0].exchange, "good.odd.test");
  EXPECT_EQ(answer.dropped, 1u);
}

Bytes txt_data(size_t octets, char fill) {
  Bytes d;
  while (octets > 0) {
    size_t part = std::min<size_t>(octets, 255);
    d.push_back(static_cast<unsigned char>(part));
    d.insert(d.end(), part, static_cast<unsigned char>(fill));
    octets -= part;
  }
  return d;
}

TEST(DnsAnswerTest, OversizedTxtRecordsAreDroppedAndTheAnswerIsBounded) {
  Bytes m = reply("big.test", kDnsTypeTxt, 3);
  put_record(m, kDnsTypeTxt, txt_data(200, 'a'));
  put_record(m, kDnsTypeTxt, txt_data(60000, 'b'));  // one record of 60 KB
  put_record(m, kDnsTypeTxt, txt_data(300, 'c'));
  auto answer = parse_txt_reply(ARES_SUCCESS, m);
  ASSERT_EQ(answer.status, DnsStatus::kOk) << answer.reason;
  ASSERT_EQ(answer.records.size(), 2u);
  EXPECT_EQ(answer.records[0], std::string(200, 'a'));
  EXPECT_EQ(answer.records[1], std::string(300, 'c'));
  EXPECT_EQ(answer.dropped, 1u);

  // Many records each within the bound: the answer as a whole stops at kMaxTxtAnswerOctets.
  Bytes many = reply("many.test", kDnsTypeTxt, 15);
  for (int i = 0; i < 15; ++i) put_record(many, kDnsTypeTxt, txt_data(4000, 'x'));
  auto bounded = parse_txt_reply(ARES_SUCCESS, many);
  size_t total = 0;
  for (const auto& record : bounded.records) total += record.size();
  EXPECT_LE(total, kMaxTxtAnswerOctets);
  EXPECT_EQ(bounded.records.size() + bounded.dropped, 15u);
  EXPECT_GT(bounded.dropped, 0u);
}

TEST(DnsAnswerTest, ATruncatedReplyIsMalformed) {
  Bytes m = reply("cut.test", kDnsTypeMx, 1);
  put_record(m, kDnsTypeMx, mx_data(10, "mx.cut.test"));
  for (size_t keep : {size_t{0}, size_t{5}, size_t{12}, m.size() - 3}) {
    Bytes cut(m.begin(), m.begin() + static_cast<long>(keep));
    auto answer = parse_mx_reply(ARES_SUCCESS, cut);
    EXPECT_NE(answer.status, DnsStatus::kOk) << "kept " << keep;
  }
}

TEST(DnsAnswerTest, NegativeAnswersSayWhy) {
  EXPECT_EQ(parse_mx_reply(ARES_ENOTFOUND, {}).status, DnsStatus::kNxDomain);
  EXPECT_EQ(parse_txt_reply(ARES_ENODATA, {}).status, DnsStatus::kNoData);
  auto failed = parse_address_reply(ARES_ESERVFAIL, {}, kDnsTypeAaaa);
  EXPECT_EQ(failed.status, DnsStatus::kTempFail);
  EXPECT_EQ(failed.reason, "SERVFAIL");
}

}  // namespace
}  // namespace pw::net
