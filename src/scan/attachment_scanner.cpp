// Attachment scanner (F-MACRO, F-PUA): MIME walk with GMime, archives with libzip, content types
// with libmagic, and a minimal OLE2 (compound file) directory reader written here.
// Trust: every byte is hostile: lengths, offsets, sector chains and archive headers are checked
// before use, and every loop is bounded by the input size or by AttachmentLimits.
//
// Why a hand-written OLE2 reader: Debian's OLE2 libraries (libgsf, libolecf) pull in GLib I/O
// layers or whole document models; we need only "does the directory name a VBA storage", which
// is the header, the FAT sectors and the directory chain (MS-CFB 2.2, 2.3, 2.6), ~100 lines.
#include "scan/attachment_scanner.hpp"

#include <gmime/gmime.h>
#include <magic.h>
#include <zip.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "scan/mime_guard.hpp"
#include "util/ascii_text.hpp"
#include "util/sha256.hpp"

namespace pw::scan {
namespace {

// libmagic needs only the start of a file to name its type; this caps its work per file.
constexpr std::size_t kMagicBytes = 1024 * 1024;
// The ODF "mimetype" entry is one short line.
constexpr std::size_t kOdfMimetypeMaxBytes = 256;
constexpr std::string_view kOdfMimePrefix = "application/vnd.oasis.opendocument";
constexpr std::size_t kZipReadChunk = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Scan state shared by one call.

struct ScanContext {
  const AttachmentLimits& limits;
  AttachmentReport report;
  std::chrono::steady_clock::time_point deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(limits.max_scan_ms);
  std::uint64_t decoded_bytes = 0;
  std::size_t archive_entries = 0;
  std::uint64_t archive_bytes = 0;

  bool stopped() const { return report.limit_hit; }
  void stop(std::string reason) {
    if (!report.limit_hit) {
      report.limit_hit = true;
      report.limit_reason = std::move(reason);
    }
  }
  // Fail closed on time too: what was not reached in max_scan_ms is not proven clean.
  bool out_of_time() {
    if (std::chrono::steady_clock::now() <= deadline) return false;
    stop("scan took longer than " + std::to_string(limits.max_scan_ms) + " ms");
    return true;
  }
  void add(std::string kind, std::string file, std::string detail) {
    report.findings.push_back({std::move(kind), std::move(file), std::move(detail)});
  }
};

// Fail closed (issue 15, item 11): bytes the scan could not read (an encrypted archive entry, a
// compression method libzip lacks, a CRC error, an archive that does not open) are not proven
// free of macros or executables. They are a finding of their own, which the attachments check
// refuses when block_macros or block_pua is on; the walk goes on to the other parts.
void unreadable(const std::string& path, std::string detail, ScanContext& ctx) {
  ctx.add(std::string(kUnreadable), path, std::move(detail));
}

std::string lower(std::string_view s) { return util::ascii_lowercase(s); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && lower(a) == lower(b);
}

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

std::uint16_t le16(std::string_view b, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(b[at]) |
                                    (static_cast<unsigned char>(b[at + 1]) << 8));
}

std::uint32_t le32(std::string_view b, std::size_t at) {
  return static_cast<std::uint32_t>(le16(b, at)) |
         (static_cast<std::uint32_t>(le16(b, at + 2)) << 16);
}

// ---------------------------------------------------------------------------------------------
// OLE2 compound file directory (MS-CFB).

constexpr std::string_view kOle2Magic{"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8};
constexpr std::size_t kOle2HeaderSize = 512;
constexpr std::size_t kOle2HeaderDifatEntries = 109;
constexpr std::size_t kOle2DirEntrySize = 128;
constexpr std::uint32_t kOle2MaxRegularSector = 0xFFFFFFFA;
constexpr std::uint32_t kOle2EndOfChain = 0xFFFFFFFE;
// Storage and stream names that hold VBA projects: Word ("Macros", "VBA"), Excel
// ("_VBA_PROJECT_CUR"), and the project stream itself ("_VBA_PROJECT").
constexpr std::array<std::string_view, 4> kVbaNames = {"VBA", "_VBA_PROJECT", "_VBA_PROJECT_CUR",
                                                       "Macros"};

bool is_ole2(std::string_view b) {
  return b.size() >= kOle2HeaderSize && b.starts_with(kOle2Magic);
}

class Ole2Directory {
 public:
  explicit Ole2Directory(std::string_view file) : file_(file) {}

  // Names of the storages and streams in the directory, or nullopt when the file is malformed.
  std::optional<std::vector<std::string>> names() {
    const std::uint16_t sector_shift = le16(file_, 0x1E);
    if (sector_shift != 9 && sector_shift != 12) return std::nullopt;  // v3 or v4 only
    sector_size_ = std::size_t{1} << sector_shift;
    sector_count_ = file_.size() / sector_size_;  // sector n sits at (n + 1) * sector_size
    if (!read_fat()) return std::nullopt;

    std::vector<std::string> out;
    std::uint32_t sector = le32(file_, 0x30);
    // A chain cannot be longer than the file has sectors; a longer one loops.
    for (std::size_t hops = 0; sector != kOle2EndOfChain; ++hops) {
      if (hops > sector_count_ || sector > kOle2MaxRegularSector) return std::nullopt;
      auto data = sector_data(sector);
      if (!data) return std::nullopt;
      for (std::size_t at = 0; at + kOle2DirEntrySize <= data->size(); at += kOle2DirEntrySize) {
        if (auto name = entry_name(data->substr(at, kOle2DirEntrySize))) {
          out.push_back(std::move(*name));
        }
      }
      if (sector >= fat_.size()) return std::nullopt;
      sector = fat_[sector];
    }
    return out;
  }

 private:
  std::optional<std::string_view> sector_data(std::uint32_t sector) const {
    const std::uint64_t offset = (std::uint64_t{sector} + 1) * sector_size_;
    if (offset + sector_size_ > file_.size()) return std::nullopt;
    return file_.substr(offset, sector_size_);
  }

  bool read_fat() {
    const std::uint32_t fat_sectors = le32(file_, 0x2C);
    if (fat_sectors > sector_count_) return false;
    std::vector<std::uint32_t> fat_sector_ids;
    for (std::size_t i = 0; i < kOle2HeaderDifatEntries && fat_sector_ids.size() < fat_sectors;
         ++i) {
      fat_sector_ids.push_back(le32(file_, 0x4C + 4 * i));
    }
    // More FAT sectors than the header lists: the DIFAT chain names the rest; each DIFAT sector
    // holds (sector_size / 4 - 1) ids and the id of the next DIFAT sector last.
    std::uint32_t difat = le32(file_, 0x44);
    const std::size_t ids_per_difat = sector_size_ / 4 - 1;
    for (std::size_t hops = 0; fat_sector_ids.size() < fat_sectors; ++hops) {
      if (hops > sector_count_ || difat > kOle2MaxRegularSector) return false;
      auto data = sector_data(difat);
      if (!data) return false;
      for (std::size_t i = 0; i < ids_per_difat && fat_sector_ids.size() < fat_sectors; ++i) {
        fat_sector_ids.push_back(le32(*data, 4 * i));
      }
      difat = le32(*data, 4 * ids_per_difat);
    }
    fat_.reserve(fat_sector_ids.size() * (sector_size_ / 4));
    for (std::uint32_t id : fat_sector_ids) {
      auto data = sector_data(id);
      if (!data) return false;
      for (std::size_t at = 0; at < data->size(); at += 4) fat_.push_back(le32(*data, at));
    }
    return true;
  }

  // A storage (1), stream (2) or root (5) entry's name in ASCII; non-ASCII UTF-16 units
  // become '?', which matches none of the names looked for.
  static std::optional<std::string> entry_name(std::string_view entry) {
    const unsigned char type = static_cast<unsigned char>(entry[66]);
    if (type != 1 && type != 2 && type != 5) return std::nullopt;
    const std::uint16_t name_bytes = le16(entry, 64);  // includes the terminating NUL
    if (name_bytes < 2 || name_bytes > 64 || name_bytes % 2 != 0) return std::nullopt;
    std::string name;
    for (std::size_t i = 0; i + 2 < std::size_t{name_bytes}; i += 2) {
      const std::uint16_t unit = le16(entry, i);
      name.push_back(unit < 0x80 ? static_cast<char>(unit) : '?');
    }
    return name;
  }

  std::string_view file_;
  std::size_t sector_size_ = 0;
  std::size_t sector_count_ = 0;
  std::vector<std::uint32_t> fat_;
};

// The project stream's name in UTF-16LE, for files whose directory chain is broken but which an
// office suite may still open.
bool contains_utf16_vba_project(std::string_view b) {
  static const std::string needle = [] {
    std::string s;
    for (char c : std::string_view("_VBA_PROJECT")) {
      s.push_back(c);
      s.push_back('\0');
    }
    return s;
  }();
  return b.find(needle) != std::string_view::npos;
}

void inspect_ole2(std::string_view bytes, const std::string& path, ScanContext& ctx) {
  Ole2Directory directory(bytes);
  auto names = directory.names();
  bool vba = false;
  if (names) {
    for (const auto& name : *names) {
      for (std::string_view vba_name : kVbaNames) vba = vba || iequals(name, vba_name);
    }
  } else {
    vba = contains_utf16_vba_project(bytes);
  }
  if (vba) ctx.add("macro", path, names ? "OLE2 VBA storage" : "OLE2 VBA storage (damaged file)");
}

// ---------------------------------------------------------------------------------------------
// Content types (libmagic) and names.

struct MagicDeleter {
  void operator()(magic_set* m) const { magic_close(m); }
};

// magic_t is not thread-safe: one handle per thread, loaded on first use.
magic_set* thread_magic() {
  thread_local std::unique_ptr<magic_set, MagicDeleter> handle = [] {
    std::unique_ptr<magic_set, MagicDeleter> m(
        magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS));
    if (m && magic_load(m.get(), nullptr) != 0) m.reset();
    return m;
  }();
  return handle.get();
}

constexpr std::array<std::string_view, 16> kUnwantedMimeTypes = {
    "application/x-dosexec",
    "application/x-executable",
    "application/x-sharedlib",
    "application/x-pie-executable",
    "application/x-mach-binary",
    "application/x-msi",
    "application/vnd.microsoft.portable-executable",
    "application/x-msdownload",
    "application/x-ms-shortcut",
    "application/x-java-applet",
    "application/java-archive",
    "application/x-bat",
    "text/x-msdos-batch",
    "text/x-shellscript",
    "application/x-shellscript",
    "application/hta",
};

bool is_script_type(std::string_view type) {
  return type.starts_with("text/") || type == "application/x-bat" ||
         type == "application/x-shellscript" || type == "application/hta";
}

struct ExtensionClass {
  std::string_view extension;  // lower case, with the dot
  std::string_view what;       // "executable", "script", ...
};

constexpr std::array<ExtensionClass, 38> kDangerousExtensions = {{
    {".exe", "executable"},    {".scr", "executable"},    {".com", "executable"},
    {".pif", "executable"},    {".cpl", "executable"},    {".dll", "executable"},
    {".msi", "installer"},     {".msp", "installer"},     {".msc", "executable"},
    {".bat", "script"},        {".cmd", "script"},        {".vbs", "script"},
    {".vbe", "script"},        {".js", "script"},         {".jse", "script"},
    {".wsf", "script"},        {".wsh", "script"},        {".wsc", "script"},
    {".hta", "script"},        {".ps1", "script"},        {".psm1", "script"},
    {".sct", "script"},        {".jar", "executable"},    {".lnk", "shortcut"},
    {".url", "shortcut"},      {".scf", "shortcut"},      {".reg", "registry file"},
    {".inf", "script"},        {".gadget", "executable"}, {".application", "executable"},
    {".iso", "disk image"},    {".img", "disk image"},    {".vhd", "disk image"},
    {".vhdx", "disk image"},   {".appx", "installer"},    {".msix", "installer"},
    {".chm", "compiled help"}, {".xll", "executable"},
}};

// Extensions of documents and pictures a recipient expects to open safely: "invoice.pdf.exe".
constexpr std::array<std::string_view, 22> kDocumentExtensions = {
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt",  ".ods", ".rtf", ".txt",
    ".csv", ".jpg", ".jpeg", ".png", ".gif",  ".bmp", ".htm",  ".html", ".zip", ".mp3", ".mp4",
};

// The last component of `name` without the spaces and dots Windows drops at its end.
std::string_view base_name(std::string_view name) {
  while (!name.empty() && (name.back() == ' ' || name.back() == '.')) name.remove_suffix(1);
  const auto slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  return name;
}

// Splits "invoice.pdf" into "invoice" and ".pdf" (lower case); no extension for ".profile".
std::pair<std::string_view, std::string> split_extension(std::string_view name) {
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {name, {}};
  return {name.substr(0, dot), lower(name.substr(dot))};
}

void inspect_name(std::string_view name, const std::string& path, ScanContext& ctx) {
  // U+202E RIGHT-TO-LEFT OVERRIDE makes "invoice\u202Efdp.exe" display as "invoiceexe.pdf".
  if (name.find("\xE2\x80\xAE") != std::string_view::npos) {
    ctx.add("pua", path, "right-to-left override in name");
  }
  // Structured bindings cannot be captured by a lambda in C++20 as clang 14 implements it.
  const auto split = split_extension(base_name(name));
  const std::string_view stem = split.first;
  const std::string& ext = split.second;
  if (ext.empty()) return;
  const auto* danger = std::find_if(kDangerousExtensions.begin(), kDangerousExtensions.end(),
                                    [&](const ExtensionClass& e) { return e.extension == ext; });
  if (danger == kDangerousExtensions.end()) return;
  const std::string inner = split_extension(base_name(stem)).second;
  const bool double_ext =
      !inner.empty() && std::find(kDocumentExtensions.begin(), kDocumentExtensions.end(), inner) !=
                            kDocumentExtensions.end();
  if (double_ext) {
    ctx.add("pua", path, "double extension " + inner + ext);
  } else {
    ctx.add("pua", path, std::string(danger->what) + " extension " + ext);
  }
}

void inspect_content_type(std::string_view bytes, const std::string& path, ScanContext& ctx) {
  if (bytes.empty()) return;
  magic_set* magic = thread_magic();
  if (magic == nullptr) {
    ctx.stop("content type database (libmagic) not loadable");
    return;
  }
  const char* type = magic_buffer(magic, bytes.data(), std::min(bytes.size(), kMagicBytes));
  if (type == nullptr) return;
  // libmagic may append remarks ("application/x-executable, no program header").
  std::string_view t(type);
  t = t.substr(0, t.find_first_of(",; "));
  if (std::find(kUnwantedMimeTypes.begin(), kUnwantedMimeTypes.end(), t) !=
      kUnwantedMimeTypes.end()) {
    ctx.add("pua", path,
            std::string(is_script_type(t) ? "script (" : "executable (") + std::string(t) + ")");
  }
}

// ---------------------------------------------------------------------------------------------
// ZIP archives, OOXML and ODF containers (libzip).

void inspect_file(std::string_view name, std::string_view bytes, const std::string& path,
                  std::size_t archive_depth, ScanContext& ctx);

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

void inspect_zip(std::string_view bytes, const std::string& path, std::size_t archive_depth,
                 ScanContext& ctx) {
  if (archive_depth >= ctx.limits.max_archive_depth) {
    ctx.stop("archives nested deeper than " + std::to_string(ctx.limits.max_archive_depth));
    return;
  }
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) {
    zip_error_fini(&error);
    return;
  }
  std::unique_ptr<zip_t, ZipDeleter> zip(zip_open_from_source(source, ZIP_RDONLY, &error));
  if (!zip) {
    // A damaged archive: the name and magic checks ran, but an unzip tool may still recover
    // entries we never saw.
    unreadable(path, std::string("archive cannot be opened: ") + zip_error_strerror(&error), ctx);
    zip_error_fini(&error);
    zip_source_free(source);
    return;
  }
  zip_error_fini(&error);
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

  struct Entry {
    zip_uint64_t index;
    std::string name;
    std::uint64_t size;
  };
  std::vector<Entry> entries;
  entries.reserve(static_cast<std::size_t>(count));
  bool odf = false;
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zip.get(), static_cast<zip_uint64_t>(i), 0, &st) != 0 ||
        !(st.valid & ZIP_STAT_NAME) || st.name == nullptr) {
      unreadable(path + "/entry " + std::to_string(i), "archive entry without a readable header",
                 ctx);
      continue;
    }
    Entry e{static_cast<zip_uint64_t>(i), st.name, (st.valid & ZIP_STAT_SIZE) ? st.size : 0};
    if (e.name == "mimetype" && e.size <= kOdfMimetypeMaxBytes) {
      std::string why;
      auto mime = read_entry(zip.get(), e.index, e.size, kOdfMimetypeMaxBytes, ctx, why);
      odf = mime && mime->starts_with(kOdfMimePrefix);
    }
    entries.push_back(std::move(e));
  }
  if (ctx.stopped()) return;

  bool ooxml_vba = false, xlm = false, odf_basic = false;
  for (const auto& e : entries) {
    ooxml_vba = ooxml_vba || ends_with_ci(e.name, "vbaProject.bin");
    xlm = xlm || lower(e.name).starts_with("xl/macrosheets/");
    odf_basic = odf_basic || (odf && is_odf_module(e.name));
  }
  if (ooxml_vba) ctx.add("macro", path, "OOXML vbaProject.bin");
  if (xlm) ctx.add("macro", path, "OOXML Excel 4.0 macro sheet");
  if (odf_basic) ctx.add("macro", path, "ODF Basic");

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
  inspect_name(name, path, ctx);
  inspect_content_type(bytes, path, ctx);
  if (is_ole2(bytes)) {
    inspect_ole2(bytes, path, ctx);
  } else if (is_zip(bytes)) {
    inspect_zip(bytes, path, archive_depth, ctx);
  }
}

// ---------------------------------------------------------------------------------------------
// MIME (GMime).

struct GObjectDeleter {
  void operator()(void* object) const { g_object_unref(object); }
};
template <class T>
using GPtr = std::unique_ptr<T, GObjectDeleter>;

std::string display_name(GMimePart* part, std::size_t index) {
  const char* filename = g_mime_part_get_filename(part);
  if (filename != nullptr && *filename != '\0') return filename;
  return "part" + std::to_string(index);
}

void walk(GMimeObject* object, std::size_t depth, const std::string& prefix, ScanContext& ctx);

void inspect_leaf(GMimePart* part, const std::string& prefix, ScanContext& ctx) {
  GMimeObject* object = GMIME_OBJECT(part);
  const char* filename = g_mime_part_get_filename(part);
  const bool has_name = filename != nullptr && *filename != '\0';
  GMimeContentType* type = g_mime_object_get_content_type(object);
  const bool text = type == nullptr || g_mime_content_type_is_type(type, "text", "*");
  GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object);
  const bool attachment =
      disposition != nullptr && g_mime_content_disposition_is_attachment(disposition);
  if (!has_name && text && !attachment) return;  // a message body, not an attachment

  const std::string path = prefix + display_name(part, ctx.report.parts);
  GMimeDataWrapper* wrapper = g_mime_part_get_content(part);
  if (wrapper == nullptr) {
    if (has_name) inspect_name(filename, path, ctx);
    return;
  }
  // Decoding cannot grow the bytes (base64, quoted-printable and uuencode all shrink), so one
  // part's decoded copy is never larger than the message already in memory; the budget bounds
  // the sum over all parts.
  GPtr<GMimeStream> decoded(g_mime_stream_mem_new());
  if (g_mime_data_wrapper_write_to_stream(wrapper, decoded.get()) < 0) {
    if (has_name) inspect_name(filename, path, ctx);
    unreadable(path, "attachment cannot be decoded", ctx);
    return;
  }
  GByteArray* array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(decoded.get()));
  const std::string_view bytes(array ? reinterpret_cast<const char*>(array->data) : "",
                               array ? array->len : 0);
  ctx.decoded_bytes += bytes.size();
  if (ctx.decoded_bytes > ctx.limits.max_decoded_bytes) {
    ctx.stop("attachments decode to more than " + std::to_string(ctx.limits.max_decoded_bytes) +
             " bytes");
    return;
  }
  inspect_file(has_name ? std::string_view(filename) : std::string_view(), bytes, path, 0, ctx);
}

void walk(GMimeObject* object, std::size_t depth, const std::string& prefix, ScanContext& ctx) {
  if (object == nullptr || ctx.stopped() || ctx.out_of_time()) return;
  if (depth > ctx.limits.max_depth) {
    ctx.stop("MIME parts nested deeper than " + std::to_string(ctx.limits.max_depth));
    return;
  }
  if (++ctx.report.parts > ctx.limits.max_parts) {
    ctx.stop("message has more than " + std::to_string(ctx.limits.max_parts) + " MIME parts");
    return;
  }
  if (GMIME_IS_MULTIPART(object)) {
    GMimeMultipart* multipart = GMIME_MULTIPART(object);
    const int count = g_mime_multipart_get_count(multipart);
    for (int i = 0; i < count && !ctx.stopped(); ++i) {
      walk(g_mime_multipart_get_part(multipart, i), depth + 1, prefix, ctx);
    }
  } else if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    if (inner == nullptr) return;
    // Findings inside a forwarded message name it: "forward.eml/report.docm".
    GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object);
    const char* name =
        disposition ? g_mime_content_disposition_get_parameter(disposition, "filename") : nullptr;
    std::string inner_prefix = prefix;
    if (name != nullptr && *name != '\0') inner_prefix += std::string(name) + "/";
    walk(g_mime_message_get_mime_part(inner), depth + 1, inner_prefix, ctx);
  } else if (GMIME_IS_PART(object)) {
    inspect_leaf(GMIME_PART(object), prefix, ctx);
  }
}

}  // namespace

void init_gmime_once() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

AttachmentReport scan_attachments(std::string_view message, const AttachmentLimits& limits) {
  ScanContext ctx{limits, {}};
  // Fail closed: a message GMime would blow up into more parts than the limit is not parsed.
  if (std::string refusal = mime_parse_refusal(message, limits.max_parts, limits.max_header_fields);
      !refusal.empty()) {
    ctx.stop(std::move(refusal));
    return std::move(ctx.report);
  }
  init_gmime_once();
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(message.data(), message.size()));
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  GPtr<GMimeMessage> parsed(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!parsed) return std::move(ctx.report);  // no headers at all: nothing is an attachment
  walk(g_mime_message_get_mime_part(parsed.get()), 0, "", ctx);
  return std::move(ctx.report);
}

AttachmentReport scan_attachment_bytes(std::string_view name, std::string_view content,
                                       const AttachmentLimits& limits) {
  ScanContext ctx{limits, {}};
  const std::string path = name.empty() ? std::string("file") : std::string(name);
  inspect_file(name, content, path, 0, ctx);
  return std::move(ctx.report);
}

}  // namespace pw::scan
