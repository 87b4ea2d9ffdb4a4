// The archive of outgoing mail (F-ARCHIVE): gzip files per sender domain and month, indexed in
// the `archive` table (migration 5); search, read, mboxrd export and pruning.
// Trust: MAIL FROM, recipients and the message come from an SMTP client. Only a domain accepted
// by mail::canonical_domain_name and an id of [A-Za-z0-9_-] become path components; paths read
// back from the index are checked to stay inside <data-dir>/archive; decompression is bounded.
#include "archive/archive_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "mail/header_summary.hpp"
#include "mail/name_syntax.hpp"
#include "store/statement.hpp"
#include "util/ascii_text.hpp"
#include "util/durable_file.hpp"
#include "util/unique_fd.hpp"
#include "util/utc_time.hpp"

namespace pw::archive {
namespace {

constexpr std::string_view kArchiveDirName = "archive";
constexpr std::string_view kFileSuffix = ".eml.gz";
// Queue ids are 19 hex digits (queue/spool); a little room for other id schemes.
constexpr size_t kMaxIdLength = 64;
// Rows fetched per round by export_mbox() and prune(), so memory stays bounded however large
// the archive is.
constexpr int64_t kBatchRows = 256;
// zlib's stream lengths are `unsigned int`: larger inputs go in pieces.
constexpr size_t kZlibChunk = size_t{1} << 30;
// deflateInit2's windowBits: 15 (32 KiB window) + 16 asks for a gzip header and trailer.
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kDeflateMemLevel = 8;  // zlib's default

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// An index path is <domain>/<YYYY-MM>/<file>: three plain components, none of them "." or "..".
bool safe_relative_path(std::string_view path) {
  int components = 0;
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    std::string_view part =
        path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (part.empty() || part == "." || part == ".." || part.find('\0') != std::string_view::npos)
      return false;
    ++components;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return components == 3;
}

std::string month_of(int64_t unix_seconds) {
  return util::format_utc(unix_seconds, util::TimeStyle::kMonth);
}

// asctime() layout in UTC ("Thu Nov 24 18:22:48 1986"), spelled out so no locale changes it.
std::string asctime_utc(int64_t unix_seconds) {
  return util::format_utc(unix_seconds, util::TimeStyle::kAsctime);
}

Result<void> make_dir(const std::filesystem::path& path) {
  if (::mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) return {};
  return fail(errno_text("create " + path.string()));
}

Result<std::string> gzip(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, kDeflateMemLevel,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    return fail("zlib: deflateInit2 failed");
  std::unique_ptr<z_stream, decltype(&deflateEnd)> guard(&zs, &deflateEnd);
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 64);
  size_t in_done = 0;
  size_t out_done = 0;
  for (;;) {
    size_t in_chunk = std::min(kZlibChunk, data.size() - in_done);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + in_done));
    zs.avail_in = static_cast<uInt>(in_chunk);
    if (out.size() - out_done < 64) out.resize(out.size() * 2);
    size_t out_chunk = std::min(kZlibChunk, out.size() - out_done);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + out_done);
    zs.avail_out = static_cast<uInt>(out_chunk);
    bool last = in_done + in_chunk == data.size();
    int rc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
    in_done += in_chunk - zs.avail_in;
    out_done += out_chunk - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) return fail("zlib: deflate failed");
  }
  out.resize(out_done);
  return out;
}

// Writes `data` as dir/name (util/durable_file), so the index never points at a half-written
// file. The temporary name starts with a dot: ids never do.
Result<void> write_file_atomically(const std::filesystem::path& dir, const std::string& name,
                                   std::string_view data) {
  return util::write_durably({dir / ("." + name + ".tmp"), dir / name}, data);
}

struct GzCloser {
  void operator()(gzFile file) const { gzclose(file); }
};
using GzFilePtr = std::unique_ptr<gzFile_s, GzCloser>;

// Decompresses the file at `path`, which must hold exactly `expected` bytes once inflated.
Result<std::string> gunzip_file(const std::filesystem::path& path, uint64_t expected) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return fail(errno_text("open " + path.string()));
  GzFilePtr file(gzdopen(fd, "rb"));
  if (!file) {
    ::close(fd);
    return fail("open " + path.string() + ": zlib could not read it");
  }
  if (gzdirect(file.get())) return fail(path.string() + " is not a gzip file");
  std::string out;
  out.resize(static_cast<size_t>(expected) + 1);  // one more byte shows a longer file
  size_t done = 0;
  while (done < out.size()) {
    unsigned want = static_cast<unsigned>(std::min(kZlibChunk, out.size() - done));
    int n = gzread(file.get(), out.data() + done, want);
    if (n < 0) {
      int code = 0;
      return fail(path.string() + ": " + gzerror(file.get(), &code));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  if (done != expected)
    return fail(path.string() + " is damaged: it does not hold the " + std::to_string(expected) +
                " bytes the index records");
  out.resize(done);
  return out;
}

}  // namespace

Result<std::string> archive_domain(std::string_view mail_from, std::string_view user_domain) {
  if (mail_from.empty()) {
    auto domain = mail::canonical_domain_name(user_domain);
    if (!domain) return fail("null sender and no valid user domain: " + domain.error().message);
    return domain;
  }
  size_t at = mail_from.rfind('@');
  if (at == std::string_view::npos || at + 1 == mail_from.size())
    return fail("MAIL FROM " + util::quote_for_message(mail_from) + " has no domain");
  auto domain = mail::canonical_domain_name(mail_from.substr(at + 1));
  if (!domain) return fail("MAIL FROM domain refused for the archive: " + domain.error().message);
  return domain;
}

void append_mboxrd(std::string& out, std::string_view mail_from, int64_t at,
                   std::string_view message) {
  out += "From ";
  if (mail_from.empty()) {
    out += "MAILER-DAEMON";
  } else {
    // The From_ line is split at spaces: a quoted local part must not add fields or lines.
    for (char c : mail_from) {
      auto u = static_cast<unsigned char>(c);
      out.push_back(u <= 32 || u == 127 ? '_' : c);
    }
  }
  out += ' ';
  out += asctime_utc(at);
  out += '\n';
  size_t pos = 0;
  while (pos < message.size()) {
    size_t end = message.find('\n', pos);
    size_t next = end == std::string_view::npos ? message.size() : end + 1;
    std::string_view line =
        message.substr(pos, (end == std::string_view::npos ? message.size() : end) - pos);
    if (line.ends_with('\r')) line.remove_suffix(1);
    std::string_view unquoted = line.substr(std::min(line.find_first_not_of('>'), line.size()));
    if (unquoted.starts_with("From ")) out.push_back('>');
    out += line;
    out += '\n';
    pos = next;
  }
  out += '\n';
}

ArchiveStore::ArchiveStore(store::Database& db, const std::filesystem::path& data_dir)
    : index_(db), root_(data_dir / kArchiveDirName) {}

Result<void> ArchiveStore::archive(const ArchiveRequest& request) {
  const auto& envelope = request.envelope;
  if (!valid_id(envelope.id))
    return fail("archive: bad queue id " + util::quote_for_message(envelope.id));
  auto domain = archive_domain(envelope.mail_from, envelope.domain);
  if (!domain) return fail("archive " + envelope.id + ": " + domain.error().message);
  auto existing = find(envelope.id);
  if (!existing) return tl::unexpected(existing.error());
  if (*existing) return {};  // archived before (a repeated hand-off after a restart)

  const int64_t at = envelope.received_at > 0 ? envelope.received_at : store::unix_now();
  const std::string month = month_of(at);
  const std::string file_name = envelope.id + std::string(kFileSuffix);
  const std::string relative = *domain + "/" + month + "/" + file_name;
  auto dir = root_ / *domain / month;
  for (const auto& d : {root_, root_ / *domain, dir})
    if (auto r = make_dir(d); !r) return r;

  auto compressed = gzip(request.message);
  if (!compressed) return tl::unexpected(compressed.error());
  if (auto r = write_file_atomically(dir, file_name, *compressed); !r) return r;

  auto summary = mail::summarize_headers(request.message);
  auto inserted = index_.insert({envelope.id, at, *domain, envelope.sender, envelope.mail_from,
                                 envelope.rcpt_to, summary.subject, summary.message_id,
                                 request.message.size(), relative});
  if (!inserted) {
    std::error_code ignored;
    std::filesystem::remove(dir / file_name, ignored);
    return tl::unexpected(inserted.error());
  }
  return {};
}

Result<std::vector<ArchivedRow>> ArchiveStore::search(const ArchiveFilter& filter) {
  if (filter.limit < 1) return fail("archive search: limit must be at least 1");
  if (filter.offset < 0) return fail("archive search: offset must not be negative");
  return index_.search(filter);
}

Result<std::optional<ArchivedRow>> ArchiveStore::find(std::string_view id) {
  return index_.find(id);
}

Result<std::string> ArchiveStore::read(std::string_view id, size_t max_size) {
  auto row = find(id);
  if (!row) return tl::unexpected(row.error());
  if (!*row) return fail("no archived message " + util::quote_for_message(id));
  if ((*row)->size > max_size)
    return fail("archived message " + (*row)->id + " is " + std::to_string((*row)->size) +
                " bytes, more than the " + std::to_string(max_size) + " allowed");
  if (!safe_relative_path((*row)->path))
    return fail("archived message " + (*row)->id + " has a bad path in the index");
  return gunzip_file(root_ / (*row)->path, (*row)->size);
}

Result<size_t> ArchiveStore::export_mbox(const ArchiveFilter& filter, std::ostream& out,
                                         size_t max_size) {
  size_t written = 0;
  std::optional<std::pair<int64_t, std::string>> after;  // keyset paging: the last row written
  for (;;) {
    auto rows = index_.oldest_after(filter, after, kBatchRows);
    if (!rows) return tl::unexpected(rows.error());
    for (const auto& row : *rows) {
      if (row.size > max_size)
        return fail("archived message " + row.id + " is larger than the " +
                    std::to_string(max_size) + " bytes allowed");
      if (!safe_relative_path(row.path))
        return fail("archived message " + row.id + " has a bad path in the index");
      auto message = gunzip_file(root_ / row.path, row.size);
      if (!message) return tl::unexpected(message.error());
      std::string entry;
      append_mboxrd(entry, row.mail_from, row.archived_at, *message);
      out.write(entry.data(), static_cast<std::streamsize>(entry.size()));
      if (!out) return fail("writing the mbox failed");
      ++written;
    }
    if (rows->size() < static_cast<size_t>(kBatchRows)) break;
    after.emplace(rows->back().archived_at, rows->back().id);
  }
  return written;
}

Result<size_t> ArchiveStore::prune(std::string_view domain, int64_t older_than) {
  auto canonical = mail::canonical_domain_name(domain);
  if (!canonical) return fail("archive domain: " + canonical.error().message);
  size_t removed = 0;
  for (;;) {
    auto found = index_.older_than(*canonical, older_than, kBatchRows);
    if (!found) return tl::unexpected(found.error());
    const auto& batch = *found;
    // Files first: a crash in between leaves a row whose file is gone (pruned again next time),
    // never a file the index has forgotten.
    for (const auto& [id, path] : batch) {
      if (!safe_relative_path(path)) continue;  // never unlink outside the archive
      auto file = root_ / path;
      if (::unlink(file.c_str()) != 0 && errno != ENOENT)
        return fail(errno_text("remove " + file.string()));
      ::rmdir(file.parent_path().c_str());  // the month's directory, once it is empty
    }
    auto deleted = index_.remove(batch);
    if (!deleted) return tl::unexpected(deleted.error());
    removed += batch.size();
    if (batch.size() < static_cast<size_t>(kBatchRows)) break;
  }
  return removed;
}

}  // namespace pw::archive
