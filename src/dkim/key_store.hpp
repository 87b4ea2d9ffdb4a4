// Where DKIM keys live: <data-dir>/dkim/<domain>/<selector>.pem, the directories mode 0700 and
// the keys 0600, written to a temporary file, synced and renamed (a crash never leaves half a
// key). KeyCache gives the gateway a key per (domain, selector) without reading the file for
// every message: it re-reads a file only when its inode, size or mtime changed, so a key made or
// replaced by `postwarden dkim keygen` while the gateway runs is used from the next message on.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dkim/private_key.hpp"
#include "util/result.hpp"

namespace pw::dkim {

struct KeyInfo {
  std::string domain;
  std::string selector;
  KeyType type = KeyType::kRsa;
  int bits = 0;
  std::filesystem::path path;
  std::string record;  // the TXT record to publish
  int64_t modified_at = 0;
  std::string dns_name() const { return selector + "._domainkey." + domain; }
};

class KeyStore {
 public:
  explicit KeyStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  static std::filesystem::path default_dir(const std::filesystem::path& data_dir) {
    return data_dir / "dkim";
  }

  // Names are checked and lower-cased (auth/name_syntax); an existing key is kept unless
  // `replace` (keys are meant to be rotated under a new selector).
  Result<KeyInfo> generate(std::string_view domain, std::string_view selector, KeyType type,
                           int bits, bool replace);
  Result<KeyInfo> info(std::string_view domain, std::string_view selector) const;
  Result<std::vector<KeyInfo>> list() const;
  Result<void> remove(std::string_view domain, std::string_view selector);
  Result<PrivateKey> load(std::string_view domain, std::string_view selector) const;
  // No name checks: for names already canonical (the gateway's snapshot).
  std::filesystem::path path(std::string_view domain, std::string_view selector) const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

class KeyCache {
 public:
  explicit KeyCache(KeyStore store) : store_(std::move(store)) {}
  // Thread-safe. Null when there is no usable key (missing file, or unreadable: logged once per
  // change of the file).
  std::shared_ptr<const PrivateKey> get(const std::string& domain, const std::string& selector);

 private:
  struct Entry {
    uint64_t inode = 0;
    int64_t size = -1;
    int64_t mtime_ns = 0;
    std::shared_ptr<const PrivateKey> key;
  };
  KeyStore store_;
  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, Entry> entries_;
};

}  // namespace pw::dkim
