// The panel's files from [http] web_root (F-PANEL): GET and HEAD only, no way out of the root
// (no "..", no dot files, symbolic links resolved and checked), a content type by extension, and
// index.html for any other path without a file extension (the single-page app's own routes).
// Trust: the path comes from the network, already percent-decoded.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

#include "http/message.hpp"

namespace pw::http {

// Blocking (reads the file).
Response serve_static(const std::filesystem::path& web_root, const std::string& decoded_path,
                      int64_t max_bytes);

std::string content_type_of(const std::filesystem::path& file);

}  // namespace pw::http
