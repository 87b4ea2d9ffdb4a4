// Proves the large-message path of issue 17 item 4: DATA beyond the memory size keeps only the
// header section in memory and the rest in an unnamed file, byte for byte; a header section
// larger than the memory size and a file that cannot be made are refused; and the scans that
// read such a message from its file (the MIME guard in windows, the attachment walk, the text)
// find exactly what they find with the whole message in memory.
#include "smtp/message_spill.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "../registry_defaults.hpp"
#include "scan/attachment_scanner.hpp"
#include "scan/mime_guard.hpp"
#include "scan/mime_text.hpp"
#include "scan/parsed_message.hpp"

namespace pw::smtp {
namespace {

Result<util::UniqueFd> unnamed_file() {
  util::UniqueFd fd(::open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!fd) return tl::unexpected(Error{"no O_TMPFILE"});
  return fd;
}

// Feeds `message` in reads of `step` bytes as the session does; returns the spill's content.
struct Fed {
  std::string buffer;
  MessageSpill spill;
  size_t largest_buffer = 0;
};

void feed(Fed& fed, const std::string& message, size_t step) {
  for (size_t at = 0; at < message.size(); at += step) {
    fed.buffer.append(message, at, step);
    fed.spill.absorb(fed.buffer);
    fed.largest_buffer = std::max(fed.largest_buffer, fed.buffer.size());
  }
  fed.spill.finish(fed.buffer);
}

std::string whole(const mail::MessageContent& content) {
  auto all = content.read_all();
  EXPECT_TRUE(all.has_value());
  return all ? *all : std::string();
}

std::string lines(size_t count, const std::string& text) {
  std::string out;
  for (size_t i = 0; i < count; ++i) out += text + " " + std::to_string(i) + "\r\n";
  return out;
}

TEST(MessageSpillTest, ASmallMessageStaysInMemory) {
  Fed fed{{}, MessageSpill(65536, unnamed_file)};
  const std::string message = "Subject: s\r\n\r\nbody\r\n";
  feed(fed, message, 7);
  EXPECT_FALSE(fed.spill.spilled());
  const auto content = fed.spill.content(fed.buffer);
  EXPECT_FALSE(content.spilled());
  EXPECT_EQ(content.memory, message);
}

TEST(MessageSpillTest, ALargeMessageKeepsItsHeaderInMemoryAndTheRestInTheFile) {
  Fed fed{{}, MessageSpill(65536, unnamed_file)};
  const std::string header = "From: a@example.com\r\nSubject: big\r\n\r\n";
  const std::string message = header + lines(40000, "a line of the body");
  feed(fed, message, 16384);
  ASSERT_TRUE(fed.spill.spilled());
  EXPECT_TRUE(fed.spill.error().empty());
  const auto content = fed.spill.content(fed.buffer);
  EXPECT_EQ(content.memory, header);
  EXPECT_EQ(content.size(), message.size());
  EXPECT_EQ(whole(content), message);
  // Memory: the memory size, one read and one flush at most, whatever the message's size.
  EXPECT_LE(fed.largest_buffer, 65536 + MessageSpill::kFlushBytes + 16384);
}

TEST(MessageSpillTest, AHeaderSectionLargerThanTheMemorySizeIsRefused) {
  Fed fed{{}, MessageSpill(65536, unnamed_file)};
  const std::string message = lines(5000, "X-Field: value") + "\r\nbody\r\n";
  feed(fed, message, 4096);
  EXPECT_TRUE(fed.spill.header_too_big());
  EXPECT_TRUE(fed.buffer.empty());  // the rest was read and dropped
}

TEST(MessageSpillTest, AFileThatCannotBeMadeIsAnError) {
  Fed fed{{}, MessageSpill(65536, [] {
            return Result<util::UniqueFd>(tl::unexpected(Error{"disk full"}));
          })};
  feed(fed, "Subject: s\r\n\r\n" + lines(10000, "body"), 8192);
  EXPECT_EQ(fed.spill.error(), "disk full");
  EXPECT_FALSE(fed.spill.spilled());
}

// A message on disk, as the session hands it to the scans.
struct OnDisk {
  std::string buffer;
  MessageSpill spill{65536, unnamed_file};
  mail::MessageContent content;

  explicit OnDisk(const std::string& message) {
    buffer = message;
    spill.absorb(buffer);
    spill.finish(buffer);
    content = spill.content(buffer);
  }
};

// Multipart with the boundary declared in a nested part far into the body, an attachment with
// an executable, and a text part: more than two windows of the guard.
std::string multipart_message() {
  std::string m =
      "From: a@example.com\r\nTo: b@example.org\r\nSubject: windows\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n--outer\r\n"
      "Content-Type: text/plain\r\n\r\n" +
      lines(120000, "plain text of the report") +
      "--outer\r\nContent-Type: multipart/alternative;\r\n boundary=inner\r\n\r\n--inner\r\n"
      "Content-Type: text/plain\r\n\r\nXJS inner text\r\n--inner--\r\n--outer\r\n"
      "Content-Type: application/octet-stream; name=\"run.exe\"\r\n"
      "Content-Disposition: attachment; filename=\"run.exe\"\r\n"
      "Content-Transfer-Encoding: "
      "base64\r\n\r\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAA\r\n"
      "--outer--\r\n";
  return m;
}

TEST(MessageOnDiskTest, TheGuardCountsWhatItCountsInMemory) {
  const std::string message = multipart_message();
  ASSERT_GT(message.size(), 3 * scan::kWindowBytes);
  OnDisk disk(message);
  ASSERT_TRUE(disk.content.spilled());
  bool readable = false;
  const scan::MimeShape on_disk = scan::mime_shape(disk.content, readable);
  ASSERT_TRUE(readable);
  const scan::MimeShape in_memory = scan::mime_shape(message);
  EXPECT_EQ(on_disk.delimiter_lines, in_memory.delimiter_lines);
  EXPECT_EQ(on_disk.content_type_lines, in_memory.content_type_lines);
  EXPECT_EQ(on_disk.header_lines, in_memory.header_lines);
  EXPECT_TRUE(on_disk.literal_boundaries);
}

TEST(MessageOnDiskTest, TheGuardStillRefusesAPartBombOnDisk) {
  std::string bomb = "Subject: bomb\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n";
  for (int i = 0; i < 300000; ++i) bomb += "--B\r\n\r\n\r\n";
  OnDisk disk(bomb);
  ASSERT_TRUE(disk.content.spilled());
  EXPECT_NE(scan::mime_parse_refusal(disk.content, 500, 10000), "");
}

TEST(MessageOnDiskTest, TheAttachmentWalkAndTheTextMatchTheWholeMessage) {
  const std::string message = multipart_message();
  OnDisk disk(message);
  const auto limits = test::attachment_limits();
  const scan::AttachmentReport on_disk = scan::scan_attachments(disk.content, limits);
  const scan::AttachmentReport in_memory =
      scan::scan_attachments(std::string_view(message), limits);
  ASSERT_EQ(on_disk.findings.size(), in_memory.findings.size());
  ASSERT_FALSE(on_disk.findings.empty());  // run.exe
  EXPECT_EQ(on_disk.findings[0].file, "run.exe");
  ASSERT_EQ(on_disk.hashes.size(), in_memory.hashes.size());
  EXPECT_EQ(on_disk.hashes[0].sha256, in_memory.hashes[0].sha256);
  EXPECT_FALSE(on_disk.limit_hit);

  const auto text_limits = test::text_limits();
  const scan::MessageText text_on_disk = scan::extract_message_text(disk.content, text_limits);
  const scan::MessageText text_in_memory =
      scan::extract_message_text(std::string_view(message), text_limits);
  EXPECT_EQ(text_on_disk.text, text_in_memory.text);
  EXPECT_EQ(text_on_disk.subject, "windows");
  EXPECT_NE(text_on_disk.text.find("XJS inner text"), std::string::npos);
}

// Issue 17 item 2: the attachment walk and the text read one parse in turn, and find what each
// finds on a parse of its own (every part's stream is reset before it is read), on disk and in
// memory.
TEST(MessageOnDiskTest, OneParseServesTheAttachmentWalkAndThenTheText) {
  const std::string message = multipart_message();
  OnDisk disk(message);
  const auto limits = test::attachment_limits();
  const auto text_limits = test::text_limits();
  const mail::MessageContent in_memory{message, {}};
  for (const mail::MessageContent* content :
       {static_cast<const mail::MessageContent*>(&disk.content), &in_memory}) {
    const scan::ParsedMessage parsed =
        scan::parse_for_scans(*content, text_limits.max_parts, text_limits.max_header_fields);
    ASSERT_TRUE(parsed.refusal.empty()) << parsed.refusal;
    const scan::AttachmentReport shared = scan::scan_attachments(parsed, limits);
    const scan::MessageText text = scan::extract_message_text(parsed, text_limits);
    const scan::AttachmentReport alone = scan::scan_attachments(*content, limits);
    ASSERT_EQ(shared.hashes.size(), alone.hashes.size());
    ASSERT_FALSE(shared.hashes.empty());
    for (size_t i = 0; i < shared.hashes.size(); ++i)
      EXPECT_EQ(shared.hashes[i].sha256, alone.hashes[i].sha256) << i;
    ASSERT_EQ(shared.findings.size(), alone.findings.size());
    EXPECT_EQ(text.text, scan::extract_message_text(*content, text_limits).text);
    EXPECT_NE(text.text.find("XJS inner text"), std::string::npos);
    EXPECT_NE(text.text.find("plain text of the report"), std::string::npos);
  }
}

// A refused parse is reported by both walks, and neither parses.
TEST(MessageOnDiskTest, ARefusedParseIsAStopForBothWalks) {
  std::string bomb = "Subject: bomb\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n";
  for (int i = 0; i < 2000; ++i) bomb += "--B\r\n\r\n\r\n";
  const mail::MessageContent content{bomb, {}};
  const scan::ParsedMessage parsed = scan::parse_for_scans(content, 500, 10000);
  ASSERT_FALSE(parsed.refusal.empty());
  EXPECT_EQ(parsed.message, nullptr);
  const auto report = scan::scan_attachments(parsed, test::attachment_limits());
  EXPECT_TRUE(report.limit_hit);
  EXPECT_EQ(report.limit_reason, parsed.refusal);
  const auto text = scan::extract_message_text(parsed, test::text_limits());
  EXPECT_TRUE(text.limit_hit);
  EXPECT_FALSE(text.parsed);
}

// Some mailers send an attachment's base64 as one line: a line longer than two windows is read
// by its start only, the windows from there on count every "--" line, and the walk still hashes
// the whole attachment.
TEST(MessageOnDiskTest, ALineLongerThanTwoWindowsIsCountedAndTheAttachmentHashed) {
  std::string line;
  while (line.size() < 3 * scan::kWindowBytes) line += "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVph";
  const std::string message =
      "Subject: one line\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"
      "\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\n"
      "Content-Type: application/octet-stream; name=\"a.bin\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      line + "\r\n--b--\r\n";
  OnDisk disk(message);
  bool readable = false;
  const scan::MimeShape on_disk = scan::mime_shape(disk.content, readable);
  ASSERT_TRUE(readable);
  const scan::MimeShape in_memory = scan::mime_shape(message);
  EXPECT_FALSE(on_disk.literal_boundaries);
  EXPECT_GE(on_disk.delimiter_lines, in_memory.delimiter_lines);
  EXPECT_EQ(on_disk.content_type_lines, in_memory.content_type_lines);
  EXPECT_GE(on_disk.header_lines, in_memory.header_lines);
  const auto limits = test::attachment_limits();
  const auto walked = scan::scan_attachments(disk.content, limits);
  const auto whole = scan::scan_attachments(std::string_view(message), limits);
  ASSERT_EQ(walked.hashes.size(), 1u);
  ASSERT_EQ(whole.hashes.size(), 1u);
  EXPECT_EQ(walked.hashes[0].sha256, whole.hashes[0].sha256);
  EXPECT_EQ(walked.hashes[0].size, whole.hashes[0].size);
}

TEST(MessageOnDiskTest, ALargeTextPartIsReadOnlyToItsCap) {
  scan::MimeTextLimits limits = test::text_limits();
  limits.max_part_text = 100000;
  const std::string message =
      "Subject: long\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n" +
      lines(100000, "caf\xe9 au lait");
  OnDisk disk(message);
  const scan::MessageText text = scan::extract_message_text(disk.content, limits);
  EXPECT_LE(text.plain.size(), 100000u);
  EXPECT_GT(text.plain.size(), 90000u);
  EXPECT_NE(text.plain.find("caf\xc3\xa9 au lait 0"), std::string::npos);  // converted to UTF-8
}

}  // namespace
}  // namespace pw::smtp
