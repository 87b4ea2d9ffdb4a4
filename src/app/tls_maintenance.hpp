// Keeps the server certificate current without a restart (issue 15, item 15): on SIGHUP and
// every [tls] reload_check_s, on the worker pool, the self-signed certificate (when the gateway
// makes its own) is made again when it is due for renewal, and changed certificate and key files
// are loaded for new SMTP and HTTPS connections. Fails safe: a file that does not load keeps the
// old certificate in use, and the error is logged (event=tls_reload_failed).
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "net/server_tls.hpp"
#include "net/tls_context.hpp"

namespace pw::app {

struct TlsMaintenanceOptions {
  std::filesystem::path cert_file;
  std::filesystem::path key_file;
  std::string hostname;
  bool self_signed = false;  // the gateway makes (and renews) the certificate itself
  net::SelfSignedPolicy policy;
  std::chrono::seconds check_interval{0};  // [tls] reload_check_s
};

// Blocking: one check. `forced` (SIGHUP) reloads the files even when they look unchanged.
void maintain_tls(const TlsMaintenanceOptions& options, net::ServerTls& tls, bool forced);

class TlsMaintenance {
 public:
  TlsMaintenance(boost::asio::io_context& main, boost::asio::thread_pool& blocking,
                 std::shared_ptr<net::ServerTls> tls, TlsMaintenanceOptions options);
  ~TlsMaintenance();
  void start();
  void stop();  // from the main loop's thread

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace pw::app
