// The one way a file is made durable before anyone is told it exists (issue 16: the spool, the
// quarantine, the archive and the DKIM key store each had their own): write a temporary file
// (mode 0600, never through a symlink), fdatasync it, put it in place by rename(2) or link(2),
// then fsync the directory, since the new name is durable only once its directory is.
// Fails closed: on any error the temporary file is removed and the caller gets the reason.
#pragma once
#include <filesystem>
#include <span>
#include <string_view>

#include "util/file_range.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace pw::util {

enum class Placement {
  kReplace,    // rename(2): an existing file of the name is replaced
  kNoReplace,  // link(2): an existing file of the name makes the write fail
};

struct DurableFile {
  std::filesystem::path tmp_path;    // where the bytes are written first (same file system)
  std::filesystem::path final_path;  // the name the file has once durable
  Placement placement = Placement::kReplace;
  // The final directory, already open (the spool keeps it open); -1 opens it for the sync.
  int directory_fd = -1;
};

// The first half of a durable write, for group commit (util/group_sync): the parts written at
// `file.tmp_path`, then `tail` (a large message's bytes kept on disk), not yet synced; the
// descriptor stays open. On failure the temporary is gone.
Result<UniqueFd> write_temporary(const DurableFile& file, std::span<const std::string_view> parts,
                                 const FileRange& tail = {});

// Writes the parts, in order, then `tail`, at the descriptor's offset (a file made ahead of
// need, empty).
Result<void> write_all(int fd, std::span<const std::string_view> parts,
                       const std::filesystem::path& path, const FileRange& tail = {});

// A new empty file, mode 0600, never through a symlink (what write_temporary writes into).
Result<UniqueFd> create_fresh(const std::filesystem::path& path);

// Puts a synced temporary file in place (rename or link); the temporary name is gone afterwards
// either way. The directory still has to be synced.
Result<void> place(const DurableFile& file);

// Writes the parts, in order, then `tail`, as one file (writev, at most IOV_MAX parts per call).
Result<void> write_durably(const DurableFile& file, std::span<const std::string_view> parts,
                           const FileRange& tail = {});
Result<void> write_durably(const DurableFile& file, std::string_view data);

// fsync(2) of a directory: makes the names created or removed in it durable.
Result<void> sync_directory(const std::filesystem::path& dir);

}  // namespace pw::util
