// A byte range of an open file: the part of a large message kept on disk instead of in memory
// (issue 17 item 4), read in bounded pieces or copied file to file by the kernel.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "util/result.hpp"

namespace pw::util {

struct FileRange {
  int fd = -1;  // not owned; -1 = no range
  uint64_t offset = 0;
  uint64_t length = 0;
  bool empty() const { return fd < 0 || length == 0; }
};

// Hands the range's bytes to `sink` in order, at most `chunk` bytes at a time (pread(2): the
// descriptor's own offset does not move). Stops early, with success, when `sink` returns false.
// Fails on a read error or when the file is shorter than the range.
Result<void> read_range(const FileRange& range, size_t chunk,
                        const std::function<bool(std::string_view)>& sink);

// Appends the range to `out_fd` at that descriptor's offset: copy_file_range(2) (the kernel
// copies, no user-space buffer), or pread and write where the kernel refuses it.
Result<void> copy_range(const FileRange& range, int out_fd);

}  // namespace pw::util
