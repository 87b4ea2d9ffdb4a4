// One message's bytes as the checks, the signer and the stores see them (issue 17 item 4): all
// in memory, or, for a message larger than [smtp] data_memory_bytes, its header section in memory
// and the rest in an unnamed file in the spool's tmp dir (written while DATA arrives). So memory
// per session stays bounded whatever the message's size.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "util/file_range.hpp"
#include "util/result.hpp"

namespace pw::mail {

struct MessageContent {
  // The whole message; or, when `rest` is set, its header section with the empty line after it.
  std::string_view memory;
  util::FileRange rest;  // the bytes after `memory` (fd -1: none, all in memory)

  bool spilled() const { return rest.fd >= 0; }
  uint64_t size() const { return memory.size() + (spilled() ? rest.length : 0); }
  // The message in order, in pieces of at most `chunk` bytes (the memory part in one piece).
  // Stops early, with success, when `sink` returns false; fails when the file cannot be read.
  Result<void> for_each_piece(size_t chunk,
                              const std::function<bool(std::string_view)>& sink) const;
  // The whole message as one string: only for the paths that still need it in one piece (the
  // quarantine, the archive, a bounce's ARF copy), each bounded by the message size limit.
  Result<std::string> read_all() const;
};

}  // namespace pw::mail
