// The server TLS context every SMTP and HTTPS listener takes its new connections from, replaced
// without a restart when the certificate or key files change (issue 15, item 15): on SIGHUP
// (reload) and on a periodic check of the files' mtime, size and inode (reload_if_changed). A
// connection keeps the context it began with (OpenSSL counts its references), so swapping never
// disturbs one in progress. A reload that fails keeps the old context. Thread-safe.
// Trust: the files are admin input; a bad file is an error, never a crash or a half-loaded pair.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "util/result.hpp"

namespace boost::asio::ssl {
class context;
}

namespace pw::net {

class ServerTls {
 public:
  // Loads both files; an error when either cannot be loaded or they do not match.
  static Result<std::shared_ptr<ServerTls>> load(std::filesystem::path cert_file,
                                                 std::filesystem::path key_file);

  // The context for a new connection.
  std::shared_ptr<boost::asio::ssl::context> current() const;
  // Loads the files again. On failure the old context stays and the error is returned.
  Result<void> reload();
  // Reloads when a file's mtime, size or inode changed since the last load (or the last failed
  // try, so a broken file is reported once, not at every check). True when it reloaded.
  Result<bool> reload_if_changed();
  // Serial number (hex) and SHA-256 fingerprint of the certificate in use, for the log.
  std::string describe() const;

 private:
  struct Stamp {
    std::filesystem::file_time_type mtime{};
    uintmax_t size = 0;
    uint64_t inode = 0;
    bool operator==(const Stamp&) const = default;
  };
  struct Stamps {
    Stamp cert;
    Stamp key;
    bool operator==(const Stamps&) const = default;
  };
  ServerTls(std::filesystem::path cert_file, std::filesystem::path key_file);
  Stamps stamps() const;

  std::filesystem::path cert_file_;
  std::filesystem::path key_file_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> context_;
  Stamps seen_;  // of the last load or failed try
};

}  // namespace pw::net
