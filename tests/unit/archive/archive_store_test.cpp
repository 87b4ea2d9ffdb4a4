// Proves the archive (F-ARCHIVE): messages land in their envelope sender's domain as 0600 gzip
// files, read back byte for byte, are found by each filter, hostile sender domains never become
// paths, mboxrd export quotes From_ lines reversibly, and pruning removes files and rows.
#include "archive/archive_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zlib.h>

#include <fstream>
#include <sstream>

#include "../store/temp_dir.hpp"
#include "store/statement.hpp"

namespace pw::archive {
namespace {

constexpr int64_t kJan2024 = 1704110400;  // 2024-01-01T12:00:00Z
constexpr int64_t kFeb2024 = 1706788800;  // 2024-02-01T12:00:00Z
constexpr int64_t kMar2024 = 1709294400;  // 2024-03-01T12:00:00Z
constexpr size_t kMaxSize = 1 << 20;

std::string message_with(std::string_view subject, std::string_view body) {
  return "Received: from client.example\r\nFrom: someone <someone@example.com>\r\nSubject: " +
         std::string(subject) + "\r\nMessage-ID: <" + std::string(subject) +
         "@example.com>\r\n\r\n" + std::string(body);
}

mail::Envelope envelope(std::string id, std::string mail_from, std::vector<std::string> rcpts,
                        int64_t at, std::string user_domain = "example.com") {
  mail::Envelope e;
  e.id = std::move(id);
  e.received_at = at;
  e.client_ip = "192.0.2.7";
  e.sender_kind = mail::Origin::kUser;
  e.sender = "alice@example.com";
  e.domain = std::move(user_domain);
  e.mail_from = std::move(mail_from);
  e.rcpt_to = std::move(rcpts);
  return e;
}

std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> ids_of(const Result<std::vector<ArchivedRow>>& rows) {
  std::vector<std::string> ids;
  if (rows)
    for (const auto& row : *rows) ids.push_back(row.id);
  return ids;
}

class ArchiveStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::Database::open(dir.file("postwarden.db"));
    ASSERT_TRUE(opened) << opened.error().message;
    db.emplace(std::move(*opened));
    archive.emplace(*db, dir.path());
  }

  void archive_three() {
    ASSERT_TRUE(archive->archive(
        {envelope("A1", "alice@example.com", {"bob@dest.test"}, kJan2024), first}));
    ASSERT_TRUE(archive->archive(
        {envelope("A2", "carol@Example.COM", {"dave@other.test", "erin@dest.test"}, kFeb2024),
         second}));
    auto third_envelope = envelope("B1", "x@example.org", {"bob@dest.test"}, kMar2024);
    third_envelope.sender = "198.51.100.0/24";
    ASSERT_TRUE(archive->archive({third_envelope, third}));
  }

  int64_t row_count() {
    auto stmt = store::query(*db, "SELECT COUNT(*) FROM archive");
    if (!stmt || !store::next_row(*db, stmt->get()).value_or(false)) return -1;
    return store::column_int(stmt->get(), 0);
  }

  test::TempDir dir;
  std::optional<store::Database> db;
  std::optional<ArchiveStore> archive;
  std::string first = message_with("quarterly report", "numbers\r\n");
  std::string second = message_with("lunch", "From the kitchen\r\n>From the cellar\r\n");
  std::string third = message_with("other domain", "hello\r\n");
};

TEST_F(ArchiveStoreTest, KeepsEachMessageInItsSenderDomainArchive) {
  archive_three();
  EXPECT_EQ(ids_of(archive->search({.domain = "example.com"})),
            (std::vector<std::string>{"A2", "A1"}));
  EXPECT_EQ(ids_of(archive->search({.domain = "EXAMPLE.org."})), std::vector<std::string>{"B1"});
  EXPECT_TRUE(ids_of(archive->search({.domain = "example.net"})).empty());

  auto row = *archive->find("A2");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->domain, "example.com");
  EXPECT_EQ(row->mail_from, "carol@Example.COM");
  EXPECT_EQ(row->rcpt_to, (std::vector<std::string>{"dave@other.test", "erin@dest.test"}));
  EXPECT_EQ(row->subject, "lunch");
  EXPECT_EQ(row->message_id, "<lunch@example.com>");
  EXPECT_EQ(row->size, second.size());
  EXPECT_EQ(row->archived_at, kFeb2024);
  EXPECT_EQ(row->path, "example.com/2024-02/A2.eml.gz");
}

TEST_F(ArchiveStoreTest, SearchesBySenderRecipientTimeAndSubject) {
  archive_three();
  EXPECT_EQ(ids_of(archive->search({.domain = "example.com", .sender = "CAROL@example.com"})),
            std::vector<std::string>{"A2"});
  EXPECT_EQ(ids_of(archive->search({.domain = "example.com", .sender = "alice@example.com"})),
            (std::vector<std::string>{"A2", "A1"}))
      << "the outgoing user matches too";
  EXPECT_EQ(ids_of(archive->search({.domain = "example.com", .recipient = "BOB@"})),
            std::vector<std::string>{"A1"});
  EXPECT_EQ(ids_of(archive->search({.domain = "example.com", .recipient = "dest.test"})),
            (std::vector<std::string>{"A2", "A1"}));
  EXPECT_TRUE(ids_of(archive->search({.domain = "example.com", .recipient = "%"})).empty())
      << "LIKE wildcards in the filter are plain characters";
  EXPECT_EQ(ids_of(archive->search({.domain = "example.com", .since = kFeb2024})),
            std::vector<std::string>{"A2"});
  EXPECT_EQ(ids_of(archive->search({.domain = "example.com", .until = kFeb2024})),
            std::vector<std::string>{"A1"});
  EXPECT_EQ(ids_of(archive->search({.domain = "example.com", .subject = "REPORT"})),
            std::vector<std::string>{"A1"});
  EXPECT_EQ(ids_of(archive->search({.domain = "example.com", .limit = 1, .offset = 1})),
            std::vector<std::string>{"A1"});
  EXPECT_FALSE(archive->search({.domain = "../etc"}));
}

TEST_F(ArchiveStoreTest, ReadsBackExactlyWhatWasArchived) {
  std::string binary = message_with("bytes", "");
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  binary += "\r\n";
  ASSERT_TRUE(
      archive->archive({envelope("C1", "alice@example.com", {"bob@dest.test"}, kJan2024), binary}));
  auto read = archive->read("C1", kMaxSize);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(*read, binary);
  EXPECT_FALSE(archive->read("C1", binary.size() - 1)) << "bounded by the caller's maximum";
  EXPECT_FALSE(archive->read("nope", kMaxSize));
}

TEST_F(ArchiveStoreTest, WritesPrivateGzipFiles) {
  archive_three();
  auto path = dir.path() / "archive" / "example.com" / "2024-01" / "A1.eml.gz";
  std::string bytes = file_bytes(path);
  ASSERT_GE(bytes.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(bytes[1]), 0x8b);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir.path() / "archive").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  // An independent gunzip gives the message back.
  gzFile gz = gzopen(path.c_str(), "rb");
  ASSERT_NE(gz, nullptr);
  std::string inflated(first.size() + 16, '\0');
  int n = gzread(gz, inflated.data(), static_cast<unsigned>(inflated.size()));
  gzclose(gz);
  ASSERT_GE(n, 0);
  inflated.resize(static_cast<size_t>(n));
  EXPECT_EQ(inflated, first);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path() / "archive"))
    EXPECT_FALSE(entry.path().filename().string().starts_with(".")) << "no tmp file left behind";
}

TEST_F(ArchiveStoreTest, RefusesHostileSenderDomains) {
  for (std::string from : {"x@../../etc", "x@a/b", "x@..", "x@.", "x@example.com/../../etc",
                           "x@[192.0.2.1]", "x@exa mple.com", "no-domain", "x@"}) {
    auto r = archive->archive({envelope("H1", from, {"bob@dest.test"}, kJan2024), first});
    EXPECT_FALSE(r) << from;
  }
  // The null sender uses the user's domain, which is validated just the same.
  EXPECT_FALSE(
      archive->archive({envelope("H2", "", {"bob@dest.test"}, kJan2024, "../../etc"), first}));
  EXPECT_FALSE(archive->archive(
      {envelope("../H3", "alice@example.com", {"bob@dest.test"}, kJan2024), first}));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "etc"));
  EXPECT_FALSE(std::filesystem::exists(dir.path().parent_path() / "etc" / "2024-01"));
  if (std::filesystem::exists(dir.path() / "archive"))
    EXPECT_TRUE(std::filesystem::is_empty(dir.path() / "archive"));
  EXPECT_EQ(row_count(), 0);
}

TEST_F(ArchiveStoreTest, NullSenderIsArchivedUnderTheUserDomain) {
  ASSERT_TRUE(archive->archive(
      {envelope("N1", "", {"bob@dest.test"}, kJan2024, "Hosting.Example"), first}));
  EXPECT_EQ(ids_of(archive->search({.domain = "hosting.example"})), std::vector<std::string>{"N1"});
}

TEST_F(ArchiveStoreTest, ArchivingTheSameIdTwiceKeepsOneCopy) {
  auto e = envelope("D1", "alice@example.com", {"bob@dest.test"}, kJan2024);
  ASSERT_TRUE(archive->archive({e, first}));
  ASSERT_TRUE(archive->archive({e, first}));
  EXPECT_EQ(ids_of(archive->search({.domain = "example.com"})), std::vector<std::string>{"D1"});
}

TEST_F(ArchiveStoreTest, RefusesADamagedFile) {
  archive_three();
  auto path = dir.path() / "archive" / "example.com" / "2024-01" / "A1.eml.gz";
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "not gzip at all";
  EXPECT_FALSE(archive->read("A1", kMaxSize));
}

// The reverse of mboxrd (what a mail reader does): split at From_ lines, drop one '>' from
// lines matching /^>+From /, drop the blank line that ends each message.
std::vector<std::string> parse_mboxrd(const std::string& mbox) {
  std::vector<std::string> messages;
  std::istringstream in(mbox);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("From ")) {
      messages.emplace_back();
      continue;
    }
    size_t quotes = line.find_first_not_of('>');
    if (quotes != std::string::npos && quotes > 0 && line.compare(quotes, 5, "From ") == 0)
      line.erase(0, 1);
    messages.back() += line + "\n";
  }
  for (auto& m : messages)
    if (m.ends_with("\n\n")) m.pop_back();
  return messages;
}

std::string lf_only(std::string text) {
  for (size_t at = text.find("\r\n"); at != std::string::npos; at = text.find("\r\n", at))
    text.erase(at, 1);
  return text;
}

TEST_F(ArchiveStoreTest, ExportsMboxrdWithFromLinesQuoted) {
  std::string tricky = message_with("escapes",
                                    "From the start\r\n>From once\r\n>>From twice\r\nFromage\r\n"
                                    " From indented\r\nlast line without newline");
  ASSERT_TRUE(
      archive->archive({envelope("E1", "alice@example.com", {"bob@dest.test"}, kJan2024), first}));
  ASSERT_TRUE(archive->archive({envelope("E2", "", {"bob@dest.test"}, kFeb2024), tricky}));

  std::ostringstream out;
  auto count = archive->export_mbox({.domain = "example.com"}, out, kMaxSize);
  ASSERT_TRUE(count) << count.error().message;
  EXPECT_EQ(*count, 2u);
  const std::string mbox = out.str();

  EXPECT_TRUE(mbox.starts_with("From alice@example.com Mon Jan  1 12:00:00 2024\n")) << mbox;
  EXPECT_NE(mbox.find("\nFrom MAILER-DAEMON Thu Feb  1 12:00:00 2024\n"), std::string::npos);
  EXPECT_NE(mbox.find("\n>From the start\n>>From once\n>>>From twice\nFromage\n From indented\n"
                      "last line without newline\n\n"),
            std::string::npos)
      << mbox;
  EXPECT_EQ(mbox.find('\r'), std::string::npos);
  EXPECT_TRUE(mbox.ends_with("\n\n"));

  auto parsed = parse_mboxrd(mbox);
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0], lf_only(first));
  EXPECT_EQ(parsed[1], lf_only(tricky) + "\n");  // the missing final newline is supplied

  std::ostringstream since_feb;
  ASSERT_EQ(
      *archive->export_mbox({.domain = "example.com", .since = kFeb2024}, since_feb, kMaxSize), 1u);
  std::ostringstream none;
  ASSERT_EQ(*archive->export_mbox({.domain = "example.net"}, none, kMaxSize), 0u);
  EXPECT_TRUE(none.str().empty());
}

TEST_F(ArchiveStoreTest, ExportPagesThroughLargeArchives) {
  constexpr int kMessages = 600;  // more than one batch
  for (int i = 0; i < kMessages; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "P%04d", i);
    ASSERT_TRUE(archive->archive(
        {envelope(id, "alice@example.com", {"bob@dest.test"}, kJan2024 + i / 7), first}));
  }
  std::ostringstream out;
  auto count = archive->export_mbox({.domain = "example.com"}, out, kMaxSize);
  ASSERT_TRUE(count) << count.error().message;
  EXPECT_EQ(*count, static_cast<size_t>(kMessages));
  EXPECT_EQ(parse_mboxrd(out.str()).size(), static_cast<size_t>(kMessages));
}

TEST_F(ArchiveStoreTest, PruneRemovesOldMessagesOfOneDomain) {
  archive_three();
  auto removed = archive->prune("example.com", kFeb2024);
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(*removed, 1u);
  EXPECT_EQ(ids_of(archive->search({.domain = "example.com"})), std::vector<std::string>{"A2"});
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "archive" / "example.com" / "2024-01"));
  EXPECT_TRUE(
      std::filesystem::exists(dir.path() / "archive" / "example.com" / "2024-02" / "A2.eml.gz"));
  EXPECT_EQ(*archive->prune("example.com", kMar2024 + 1), 1u);
  EXPECT_EQ(ids_of(archive->search({.domain = "example.org"})), std::vector<std::string>{"B1"})
      << "other domains are untouched";
  EXPECT_FALSE(archive->prune("../x", kMar2024));
}

}  // namespace
}  // namespace pw::archive
