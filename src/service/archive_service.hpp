// The archive of outgoing mail for the CLI and the REST API (F-ARCHIVE, F-PANEL): search one
// domain's archive newest first, read one message back, export as mboxrd. A domain admin reads
// its own domain's archive only (403 for another). Blocking: call from a worker thread.
#pragma once
#include <filesystem>
#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "archive/archive_store.hpp"
#include "service/actor.hpp"
#include "service/outcome.hpp"
#include "service/paging.hpp"
#include "store/database.hpp"

namespace pw::service {

struct ArchivePage {
  std::vector<archive::ArchivedRow> items;
  std::optional<Cursor> next;  // null on the last page
};

// `filter.domain` "" means the actor's own domain (a domain admin) or is refused (an admin).
Outcome<ArchivePage> search_archive(const Actor& actor, store::Database& db,
                                    const std::filesystem::path& data_dir,
                                    archive::ArchiveFilter filter);
// One archived message as it was sent; 404 for an unknown id.
Outcome<std::string> archived_raw(const Actor& actor, store::Database& db,
                                  const std::filesystem::path& data_dir, const std::string& id,
                                  size_t max_size);
// Every match as mboxrd, oldest first; returns how many.
Outcome<size_t> export_archive(const Actor& actor, store::Database& db,
                               const std::filesystem::path& data_dir,
                               const archive::ArchiveFilter& filter, std::ostream& out,
                               size_t max_size);

nlohmann::json archive_item_json(const archive::ArchivedRow& row);

}  // namespace pw::service
