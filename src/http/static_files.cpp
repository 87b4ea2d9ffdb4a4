// Static files of the panel. Trust: the path comes from the network.
#include "http/static_files.hpp"

#include <fstream>
#include <iterator>
#include <map>
#include <optional>

#include "http/json_response.hpp"

namespace pw::http {
namespace fs = std::filesystem;
namespace {

std::optional<Response> read_file(const fs::path& file, int64_t max_bytes) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  auto size = fs::file_size(file, ec);
  if (ec) return std::nullopt;
  if (size > static_cast<uint64_t>(max_bytes))
    return error_response(500, "file larger than [http] max_static_bytes");
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  Response response;
  response.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  response.content_type = content_type_of(file);
  if (file.filename() == "index.html") response.headers.emplace_back("Cache-Control", "no-cache");
  return response;
}

// True when `file` (symbolic links resolved) lies inside `root`.
bool inside(const fs::path& root, const fs::path& file) {
  std::error_code ec;
  auto real_root = fs::weakly_canonical(root, ec);
  if (ec) return false;
  auto real_file = fs::weakly_canonical(file, ec);
  if (ec) return false;
  auto r = real_root.begin();
  auto f = real_file.begin();
  for (; r != real_root.end(); ++r, ++f)
    if (f == real_file.end() || *r != *f) return false;
  return true;
}

}  // namespace

std::string content_type_of(const fs::path& file) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".wasm", "application/wasm"},
  };
  auto it = kTypes.find(file.extension().string());
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

Response serve_static(const fs::path& web_root, const std::string& decoded_path,
                      int64_t max_bytes) {
  fs::path relative;
  std::string last;
  size_t start = 0;
  while (start <= decoded_path.size()) {
    size_t slash = decoded_path.find('/', start);
    if (slash == std::string::npos) slash = decoded_path.size();
    std::string segment = decoded_path.substr(start, slash - start);
    start = slash + 1;
    if (segment.empty()) continue;
    if (segment == ".." || segment.find('\\') != std::string::npos)
      return error_response(400, "bad path");
    if (segment.front() == '.') return error_response(404, "no such file");
    relative /= segment;
    last = segment;
  }
  const fs::path index = web_root / "index.html";
  std::error_code ec;
  if (!fs::is_regular_file(index, ec))
    return error_response(404, "the panel is not installed: " + index.string() +
                                   " is missing (build web/ with npm, or set [http] web_root)");
  if (!relative.empty()) {
    fs::path file = web_root / relative;
    if (inside(web_root, file))
      if (auto found = read_file(file, max_bytes)) return *found;
    if (last.find('.') != std::string::npos) return error_response(404, "no such file");
  }
  if (auto found = read_file(index, max_bytes)) return *found;
  return error_response(404, "no such file");
}

}  // namespace pw::http
