// OLE2 compound files (F-MACRO): does the directory name a VBA storage?
// Why hand-written: Debian's OLE2 libraries (libgsf, libolecf) pull in GLib I/O layers or whole
// document models; we need only the header, the FAT sectors and the directory chain (MS-CFB 2.2,
// 2.3, 2.6). Every length, offset and sector chain is checked before use.
#include <array>
#include <cstring>
#include <optional>
#include <vector>

#include "scan/attachment_walk.hpp"

namespace pw::scan::detail {

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

}  // namespace pw::scan::detail
