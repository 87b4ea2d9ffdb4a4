// Archives (F-MACRO, F-PUA): ZIP, OOXML and ODF containers opened with libzip, each entry read
// within the scan's limits and inspected like any other file.
#include <zip.h>

#include <array>
#include <memory>
#include <optional>
#include <vector>

#include "scan/attachment_walk.hpp"
#include "util/sha256.hpp"

namespace pw::scan::detail {

// The ODF "mimetype" entry is one short line.
constexpr std::size_t kOdfMimetypeMaxBytes = 256;
constexpr std::string_view kOdfMimePrefix = "application/vnd.oasis.opendocument";
constexpr std::size_t kZipReadChunk = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// ZIP archives, OOXML and ODF containers (libzip).

bool is_zip(std::string_view b) {
  return b.starts_with(std::string_view("PK\x03\x04", 4)) ||
         b.starts_with(std::string_view("PK\x05\x06", 4));
}

struct ZipDeleter {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileDeleter {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

// Reads entry `index` whole, charging the archive expansion budget; nullopt when the entry
// cannot be read (encrypted, unsupported method, damaged: `why` says which) or the budget ran out
// (ctx.stopped()).
std::optional<std::string> read_entry(zip_t* zip, zip_uint64_t index, std::uint64_t claimed_size,
                                      std::uint64_t cap, ScanContext& ctx, std::string& why) {
  const std::uint64_t budget = ctx.limits.max_archive_expansion - ctx.archive_bytes;
  if (claimed_size > budget) {
    ctx.stop("archive expands beyond " + std::to_string(ctx.limits.max_archive_expansion) +
             " bytes");
    return std::nullopt;
  }
  std::unique_ptr<zip_file_t, ZipFileDeleter> file(zip_fopen_index(zip, index, 0));
  if (!file) {
    why = zip_error_strerror(zip_get_error(zip));  // "No password provided", "Compression ..."
    return std::nullopt;
  }
  std::string out;
  std::array<char, kZipReadChunk> chunk;
  while (out.size() < cap) {
    const zip_int64_t n = zip_fread(file.get(), chunk.data(), chunk.size());
    if (n < 0) {
      why = zip_error_strerror(zip_file_get_error(file.get()));  // "CRC error", "Zlib error"
      return std::nullopt;
    }
    if (n == 0) break;
    ctx.archive_bytes += static_cast<std::uint64_t>(n);
    // Headers may understate the size; the bytes actually inflated are what count.
    if (ctx.archive_bytes > ctx.limits.max_archive_expansion) {
      ctx.stop("archive expands beyond " + std::to_string(ctx.limits.max_archive_expansion) +
               " bytes");
      return std::nullopt;
    }
    out.append(chunk.data(), static_cast<std::size_t>(n));
  }
  if (out.size() > cap) out.resize(cap);
  return out;
}

bool is_odf_module(std::string_view entry) {
  // Basic/<library>/<module>.xml; script-lb.xml and dialog-lb.xml only list a library's content.
  if (!entry.starts_with("Basic/") || !ends_with_ci(entry, ".xml")) return false;
  const auto slash = entry.rfind('/');
  if (slash == 5) return false;  // Basic/script-lc.xml, the container list
  const std::string_view file = entry.substr(slash + 1);
  return file != "script-lb.xml" && file != "dialog-lb.xml";
}

namespace {

struct ZipEntry {
  zip_uint64_t index;
  std::string name;
  std::uint64_t size;
};

// The archive opened from memory; null (reported unreadable when damaged) when it cannot be.
std::unique_ptr<zip_t, ZipDeleter> open_zip(std::string_view bytes, const std::string& path,
                                            ScanContext& ctx) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) {
    zip_error_fini(&error);
    return nullptr;
  }
  std::unique_ptr<zip_t, ZipDeleter> zip(zip_open_from_source(source, ZIP_RDONLY, &error));
  if (!zip) {
    // A damaged archive: the name and magic checks ran, but an unzip tool may still recover
    // entries we never saw.
    unreadable(path, std::string("archive cannot be opened: ") + zip_error_strerror(&error), ctx);
    zip_source_free(source);
  }
  zip_error_fini(&error);
  return zip;
}

// The entries' names and sizes (one without a readable header is reported unreadable); `odf`
// when the archive's "mimetype" entry names an OpenDocument type.
std::vector<ZipEntry> list_entries(zip_t* zip, zip_int64_t count, const std::string& path,
                                   ScanContext& ctx, bool& odf) {
  std::vector<ZipEntry> entries;
  entries.reserve(static_cast<std::size_t>(count));
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zip, static_cast<zip_uint64_t>(i), 0, &st) != 0 ||
        !(st.valid & ZIP_STAT_NAME) || st.name == nullptr) {
      unreadable(path + "/entry " + std::to_string(i), "archive entry without a readable header",
                 ctx);
      continue;
    }
    ZipEntry e{static_cast<zip_uint64_t>(i), st.name, (st.valid & ZIP_STAT_SIZE) ? st.size : 0};
    if (e.name == "mimetype" && e.size <= kOdfMimetypeMaxBytes) {
      std::string why;
      auto mime = read_entry(zip, e.index, e.size, kOdfMimetypeMaxBytes, ctx, why);
      odf = mime && mime->starts_with(kOdfMimePrefix);
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

// Macros an OOXML or ODF container holds, known by its entries' names.
void report_container_macros(const std::vector<ZipEntry>& entries, bool odf,
                             const std::string& path, ScanContext& ctx) {
  bool ooxml_vba = false, xlm = false, odf_basic = false;
  for (const auto& e : entries) {
    ooxml_vba = ooxml_vba || ends_with_ci(e.name, "vbaProject.bin");
    xlm = xlm || lower(e.name).starts_with("xl/macrosheets/");
    odf_basic = odf_basic || (odf && is_odf_module(e.name));
  }
  if (ooxml_vba) ctx.add("macro", path, "OOXML vbaProject.bin");
  if (xlm) ctx.add("macro", path, "OOXML Excel 4.0 macro sheet");
  if (odf_basic) ctx.add("macro", path, "ODF Basic");
}

}  // namespace

void inspect_zip(std::string_view bytes, const std::string& path, std::size_t archive_depth,
                 ScanContext& ctx) {
  if (archive_depth >= ctx.limits.max_archive_depth) {
    ctx.stop("archives nested deeper than " + std::to_string(ctx.limits.max_archive_depth));
    return;
  }
  auto zip = open_zip(bytes, path, ctx);
  if (!zip) return;
  const zip_int64_t count = zip_get_num_entries(zip.get(), 0);
  if (count < 0) return;
  if (static_cast<std::uint64_t>(count) >
      ctx.limits.max_archive_entries -
          std::min(ctx.archive_entries, ctx.limits.max_archive_entries)) {
    ctx.stop("archives hold more than " + std::to_string(ctx.limits.max_archive_entries) +
             " entries");
    return;
  }
  ctx.archive_entries += static_cast<std::size_t>(count);
  bool odf = false;
  const std::vector<ZipEntry> entries = list_entries(zip.get(), count, path, ctx, odf);
  if (ctx.stopped()) return;
  report_container_macros(entries, odf, path, ctx);
  for (const auto& e : entries) {
    if (ctx.stopped() || ctx.out_of_time()) return;
    if (e.name.empty() || e.name.back() == '/') continue;  // a directory
    // Already reported as the container's macro; its OLE2 directory would say it again.
    if (ends_with_ci(e.name, "vbaProject.bin")) continue;
    const std::string entry_path = path + "/" + e.name;
    std::string why;
    auto content =
        read_entry(zip.get(), e.index, e.size, ctx.limits.max_archive_expansion, ctx, why);
    if (!content) {
      if (ctx.stopped()) return;
      inspect_name(e.name, entry_path, ctx);  // encrypted or damaged: the name is all we have
      unreadable(entry_path, "archive entry cannot be read: " + why, ctx);
      continue;
    }
    inspect_file(e.name, *content, entry_path, archive_depth + 1, ctx);
  }
}

void inspect_file(std::string_view name, std::string_view bytes, const std::string& path,
                  std::size_t archive_depth, ScanContext& ctx) {
  if (ctx.stopped()) return;
  if (std::string hash = util::sha256_hex(bytes); !hash.empty())  // F-FUZZY
    ctx.report.hashes.push_back({path, bytes.size(), std::move(hash)});
  inspect_contents(name, bytes, path, archive_depth, ctx);
}

void inspect_contents(std::string_view name, std::string_view bytes, const std::string& path,
                      std::size_t archive_depth, ScanContext& ctx) {
  inspect_name(name, path, ctx);
  inspect_content_type(bytes, path, ctx);
  if (is_ole2(bytes)) {
    inspect_ole2(bytes, path, ctx);
  } else if (is_zip(bytes)) {
    inspect_zip(bytes, path, archive_depth, ctx);
  }
}

}  // namespace pw::scan::detail
