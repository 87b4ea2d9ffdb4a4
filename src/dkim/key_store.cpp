// See key_store.hpp.
#include "dkim/key_store.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "mail/name_syntax.hpp"
#include "util/durable_file.hpp"
#include "util/unique_fd.hpp"

namespace pw::dkim {
namespace fs = std::filesystem;
namespace {

struct Names {
  std::string domain;
  std::string selector;
};

Result<Names> check_names(std::string_view domain, std::string_view selector) {
  auto d = mail::canonical_domain_name(domain);
  if (!d) return fail("domain: " + d.error().message);
  auto s = mail::canonical_dkim_selector(selector);
  if (!s) return fail("selector: " + s.error().message);
  if (s->empty()) return fail("selector: must not be empty");
  return Names{*d, *s};
}

std::string errno_text(const std::string& what, const fs::path& path) {
  return what + " " + path.string() + ": " + std::strerror(errno);
}

Result<void> make_private_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail("cannot create " + dir.string() + ": " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) return fail(errno_text("cannot chmod", dir));
  return {};
}

// Writes `text` to `path`, mode 0600, durably (util/durable_file).
Result<void> write_private_file(const fs::path& path, std::string_view text) {
  fs::path tmp = path;
  tmp += ".tmp";
  return util::write_durably({tmp, path}, text);
}

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(errno_text("cannot read", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<KeyInfo> describe(const fs::path& path, const std::string& domain,
                         const std::string& selector) {
  auto text = read_file(path);
  if (!text) return tl::unexpected(text.error());
  auto key = PrivateKey::from_pem(*text);
  if (!key) return fail(path.string() + ": " + key.error().message);
  struct stat st {};
  ::stat(path.c_str(), &st);
  return KeyInfo{domain,
                 selector,
                 key->type(),
                 key->bits(),
                 path,
                 key->dns_record(),
                 static_cast<int64_t>(st.st_mtime)};
}

}  // namespace

fs::path KeyStore::path(std::string_view domain, std::string_view selector) const {
  return dir_ / std::string(domain) / (std::string(selector) + ".pem");
}

Result<KeyInfo> KeyStore::generate(std::string_view domain, std::string_view selector, KeyType type,
                                   int bits, bool replace) {
  auto names = check_names(domain, selector);
  if (!names) return tl::unexpected(names.error());
  fs::path file = path(names->domain, names->selector);
  std::error_code ec;
  if (!replace && fs::exists(file, ec))
    return fail("a key for selector " + names->selector + " of " + names->domain +
                " exists already (" + file.string() +
                "); use a new selector to rotate, or --force to replace it");
  auto key = PrivateKey::generate(type, bits);
  if (!key) return tl::unexpected(key.error());
  if (auto made = make_private_dir(dir_); !made) return tl::unexpected(made.error());
  if (auto made = make_private_dir(file.parent_path()); !made) return tl::unexpected(made.error());
  if (auto written = write_private_file(file, key->to_pem()); !written)
    return tl::unexpected(written.error());
  return describe(file, names->domain, names->selector);
}

Result<KeyInfo> KeyStore::info(std::string_view domain, std::string_view selector) const {
  auto names = check_names(domain, selector);
  if (!names) return tl::unexpected(names.error());
  fs::path file = path(names->domain, names->selector);
  std::error_code ec;
  if (!fs::exists(file, ec))
    return fail("no key for selector " + names->selector + " of " + names->domain);
  return describe(file, names->domain, names->selector);
}

Result<std::vector<KeyInfo>> KeyStore::list() const {
  std::vector<KeyInfo> out;
  std::error_code ec;
  if (!fs::exists(dir_, ec)) return out;
  for (const auto& domain_dir : fs::directory_iterator(dir_, ec)) {
    if (!domain_dir.is_directory()) continue;
    for (const auto& file : fs::directory_iterator(domain_dir.path(), ec)) {
      if (file.path().extension() != ".pem") continue;
      auto info =
          describe(file.path(), domain_dir.path().filename().string(), file.path().stem().string());
      if (!info) return tl::unexpected(info.error());
      out.push_back(std::move(*info));
    }
  }
  if (ec) return fail("cannot list " + dir_.string() + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const KeyInfo& a, const KeyInfo& b) {
    return std::tie(a.domain, a.selector) < std::tie(b.domain, b.selector);
  });
  return out;
}

Result<void> KeyStore::remove(std::string_view domain, std::string_view selector) {
  auto names = check_names(domain, selector);
  if (!names) return tl::unexpected(names.error());
  fs::path file = path(names->domain, names->selector);
  if (::unlink(file.c_str()) != 0) {
    if (errno == ENOENT)
      return fail("no key for selector " + names->selector + " of " + names->domain);
    return fail(errno_text("cannot remove", file));
  }
  return util::sync_directory(file.parent_path());
}

Result<PrivateKey> KeyStore::load(std::string_view domain, std::string_view selector) const {
  auto text = read_file(path(domain, selector));
  if (!text) return tl::unexpected(text.error());
  return PrivateKey::from_pem(*text);
}

std::shared_ptr<const PrivateKey> KeyCache::get(const std::string& domain,
                                                const std::string& selector) {
  fs::path file = store_.path(domain, selector);
  struct stat st {};
  bool present = ::stat(file.c_str(), &st) == 0;
  std::lock_guard lock(mutex_);
  auto& entry = entries_[{domain, selector}];
  if (!present) {
    entry = Entry{};
    return nullptr;
  }
  int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  if (entry.inode == st.st_ino && entry.size == st.st_size && entry.mtime_ns == mtime_ns)
    return entry.key;
  entry.inode = st.st_ino;
  entry.size = st.st_size;
  entry.mtime_ns = mtime_ns;
  auto key = store_.load(domain, selector);
  if (!key) {
    spdlog::error("event=dkim_key_unusable domain={} selector={} error=\"{}\"", domain, selector,
                  key.error().message);
    entry.key = nullptr;
  } else {
    spdlog::info("event=dkim_key_loaded domain={} selector={} algorithm={} bits={}", domain,
                 selector, to_string(key->type()), key->bits());
    entry.key = std::make_shared<const PrivateKey>(std::move(*key));
  }
  return entry.key;
}

}  // namespace pw::dkim
