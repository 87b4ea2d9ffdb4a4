// Names and content types of attachments (F-PUA): executables and scripts by extension (double
// extensions included) and by libmagic's reading of their bytes.
#include <magic.h>

#include <algorithm>
#include <array>
#include <memory>
#include <mutex>
#include <utility>

#include "scan/attachment_walk.hpp"

namespace pw::scan::detail {

// libmagic needs only the start of a file to name its type: it is given kHeadBytes at most.

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
  const char* type = magic_buffer(magic, bytes.data(), std::min(bytes.size(), kHeadBytes));
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

}  // namespace pw::scan::detail
