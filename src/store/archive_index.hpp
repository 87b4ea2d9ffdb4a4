// The index of the archive (F-ARCHIVE): one `archive` row per archived message, searched by
// domain, sender, recipient, subject and time. archive/archive_store keeps the gzip files; this
// file only reads and writes the rows.
// Trust: filter values come from admins and the sender's values from an SMTP client: all are
// bound, never spliced; a domain is canonical before it is used.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

struct ArchivedRow {
  std::string id;       // the queue id
  int64_t archived_at;  // unix seconds (the envelope's received_at)
  std::string domain;   // the archive it belongs to: the envelope sender's domain
  std::string sender;   // the outgoing user (address, domain or CIDR)
  std::string mail_from;
  std::vector<std::string> rcpt_to;
  std::string subject;     // cleaned by mail::summarize_headers
  std::string message_id;  // the Message-ID header field
  uint64_t size = 0;       // bytes of the uncompressed message
  std::string path;        // relative to <data-dir>/archive
};

struct ArchiveFilter {
  std::string domain;                    // required: one archive at a time
  std::optional<std::string> sender;     // MAIL FROM or the outgoing user, exact, any case
  std::optional<std::string> recipient;  // substring of any RCPT TO, any case
  std::optional<int64_t> since;          // archived_at >= since
  std::optional<int64_t> until;          // archived_at < until
  std::optional<std::string> subject;    // substring of the subject, any ASCII case
  int64_t limit = 100;                   // search() only; export_mbox() writes every match
  int64_t offset = 0;                    // search() only
  // search() only, keyset paging: rows with (archived_at, id) < before, newest first.
  std::optional<std::pair<int64_t, std::string>> before;
};

class ArchiveIndex {
 public:
  explicit ArchiveIndex(Database& db) : db_(db) {}

  Result<void> insert(const ArchivedRow& row);
  // Newest first, with the filter's limit, offset and keyset cursor.
  Result<std::vector<ArchivedRow>> search(const ArchiveFilter& filter);
  Result<std::optional<ArchivedRow>> find(std::string_view id);
  // Oldest first, after the (archived_at, id) `after` when given, at most `limit`; the filter's
  // limit, offset and cursor are not used.
  Result<std::vector<ArchivedRow>> oldest_after(
      const ArchiveFilter& filter, const std::optional<std::pair<int64_t, std::string>>& after,
      int64_t limit);
  // (id, path) of a domain's rows archived before `older_than`, oldest first, at most `limit`.
  Result<std::vector<std::pair<std::string, std::string>>> older_than(std::string_view domain,
                                                                      int64_t older_than,
                                                                      int64_t limit);
  // Removes the rows of these (id, path) pairs, all or none.
  Result<void> remove(const std::vector<std::pair<std::string, std::string>>& rows);

 private:
  Database& db_;
};

}  // namespace pw::store
