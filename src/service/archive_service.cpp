// See archive_service.hpp.
#include "service/archive_service.hpp"

#include <nlohmann/json.hpp>

#include "mail/name_syntax.hpp"
#include "service/scope.hpp"
#include "util/ascii_text.hpp"

namespace pw::service {

Outcome<ArchivePage> search_archive(const Actor& actor, store::Database& db,
                                    const std::filesystem::path& data_dir,
                                    archive::ArchiveFilter filter) {
  if (filter.domain.empty()) {
    if (actor.is_admin()) return invalid("domain is required: the archive is kept per domain");
    filter.domain = actor.domain;
  }
  if (auto ok = require_domain_access(actor, db, filter.domain); !ok)
    return tl::unexpected(ok.error());
  const int64_t limit = filter.limit;
  filter.limit = limit + 1;
  auto rows = archive::ArchiveStore(db, data_dir).search(filter);
  if (!rows) return from_error(rows.error());
  ArchivePage page;
  page.items = std::move(*rows);
  if (static_cast<int64_t>(page.items.size()) > limit) {
    page.items.resize(static_cast<size_t>(limit));
    page.next = Cursor{page.items.back().archived_at, page.items.back().id};
  }
  return page;
}

Outcome<std::string> archived_raw(const Actor& actor, store::Database& db,
                                  const std::filesystem::path& data_dir, const std::string& id,
                                  size_t max_size) {
  archive::ArchiveStore store(db, data_dir);
  auto row = store.find(id);
  if (!row) return from_error(row.error(), Failure::Kind::kInternal);
  const std::string missing = "no archived message " + util::quote_for_message(id);
  if (!*row) return not_found(missing);
  if (auto ok = require_domain_access(actor, db, (*row)->domain); !ok)
    return tl::unexpected(as_missing(ok.error(), missing));
  auto message = store.read(id, max_size);
  if (!message) return from_error(message.error(), Failure::Kind::kInternal);
  return std::move(*message);
}

Outcome<size_t> export_archive(const Actor& actor, store::Database& db,
                               const std::filesystem::path& data_dir,
                               const archive::ArchiveFilter& filter, std::ostream& out,
                               size_t max_size) {
  if (auto ok = require_domain_access(actor, db, filter.domain); !ok)
    return tl::unexpected(ok.error());
  auto count = archive::ArchiveStore(db, data_dir).export_mbox(filter, out, max_size);
  if (!count) return from_error(count.error());
  return *count;
}

nlohmann::json archive_item_json(const archive::ArchivedRow& row) {
  return {
      {"id", row.id},           {"time", iso_time(row.archived_at)}, {"domain", row.domain},
      {"user", row.sender},     {"sender", row.mail_from},           {"recipients", row.rcpt_to},
      {"subject", row.subject}, {"message_id", row.message_id},      {"size", row.size}};
}

}  // namespace pw::service
