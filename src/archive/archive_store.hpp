// The archive of outgoing mail (F-ARCHIVE): each archived message is one gzip file under
// <data-dir>/archive/<domain>/<YYYY-MM>/<id>.eml.gz plus one row of the `archive` table, kept per
// envelope sender's domain; search, read back, mboxrd export and retention pruning.
// Trust: MAIL FROM and the message come from an SMTP client; the domain becomes a directory name
// only after mail::canonical_domain_name accepts it, the id only when it is [A-Za-z0-9_-].
//
// Integration (the gateway): after Spool::store() has succeeded for a message whose user has
// archiving on, call ArchiveStore::archive({envelope, message}) with the same envelope and the
// message bytes as spooled/delivered (CRLF). archive() is BLOCKING (compression, write, fdatasync,
// rename, SQLite insert): never call it on an event-loop thread (STYLE 6); run it on the blocking
// worker pool (util/run_blocking) and await it. An ArchiveStore is not thread-safe and uses the
// Database it is given: give it a connection of its own (store::open_node_database) used by one
// thread at a time, not a connection an event loop uses. A failure means the message is not
// archived (it is still delivered): log it with the queue id; archiving again later is safe
// (an id already archived is a no-op).
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mail/envelope.hpp"
#include "store/archive_index.hpp"
#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::archive {

struct ArchiveRequest {
  mail::Envelope envelope;   // id, received_at, sender, domain, mail_from, rcpt_to are used
  std::string_view message;  // the raw message bytes (CRLF), not owned
};

using store::ArchivedRow;
using store::ArchiveFilter;

class ArchiveStore {
 public:
  ArchiveStore(store::Database& db, const std::filesystem::path& data_dir);

  // Blocking. Writes the gzip file (mode 0600, tmp name, fdatasync, rename) and then the index
  // row. Refuses a sender domain that is not a valid DNS name (so "../../etc" or "a/b" never reach
  // the file system) and a MAIL FROM without a domain; for the null sender the archive is the
  // outgoing user's domain (envelope.domain).
  Result<void> archive(const ArchiveRequest& request);

  // Newest first.
  Result<std::vector<ArchivedRow>> search(const ArchiveFilter& filter);
  Result<std::optional<ArchivedRow>> find(std::string_view id);

  // The message exactly as archived; an error when it is larger than max_size (callers derive it
  // from smtp.max_message_size), missing, not gzip, or not the size the index recorded.
  Result<std::string> read(std::string_view id, size_t max_size);

  // Every message matching `filter` (limit and offset ignored), oldest first, as mboxrd: a
  // "From <mail_from or MAILER-DAEMON> <asctime UTC>" line, lines matching /^>*From / get one more
  // '>', CRLF becomes LF, and a blank line follows each message. Returns how many were written.
  // A message larger than max_size stops the export with an error.
  Result<size_t> export_mbox(const ArchiveFilter& filter, std::ostream& out, size_t max_size);

  // Retention: removes the files and rows of `domain` archived before `older_than` (unix
  // seconds). Returns how many messages were removed.
  Result<size_t> prune(std::string_view domain, int64_t older_than);

  // <data-dir>/archive
  const std::filesystem::path& root() const { return root_; }

 private:
  store::ArchiveIndex index_;
  std::filesystem::path root_;
};

// The archive a message belongs to: the lower-cased domain of `mail_from`, or `user_domain` for
// the null sender, validated as a DNS name. Exposed for the gateway and the tests.
Result<std::string> archive_domain(std::string_view mail_from, std::string_view user_domain);

// One message as an mboxrd entry (see export_mbox), appended to `out`.
void append_mboxrd(std::string& out, std::string_view mail_from, int64_t at,
                   std::string_view message);

}  // namespace pw::archive
