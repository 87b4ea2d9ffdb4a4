// SIGHUP and the periodic check of the server certificate (issue 15, item 15).
#include "app/tls_maintenance.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <csignal>
#include <mutex>

namespace pw::app {

namespace asio = boost::asio;

void maintain_tls(const TlsMaintenanceOptions& options, net::ServerTls& tls, bool forced) {
  if (options.self_signed) {
    auto made = net::ensure_self_signed_certificate(options.cert_file, options.key_file,
                                                    options.hostname, options.policy);
    if (!made)
      spdlog::error("event=tls_renew_failed error=\"{}\"", made.error().message);
    else if (*made)
      spdlog::info("event=tls_self_signed_renewed days={}", options.policy.days);
  }
  if (forced) {
    if (auto r = tls.reload(); !r)
      spdlog::error("event=tls_reload_failed trigger=sighup kept=\"{}\" error=\"{}\"",
                    tls.describe(), r.error().message);
    else
      spdlog::info("event=tls_reloaded trigger=sighup {}", tls.describe());
    return;
  }
  auto changed = tls.reload_if_changed();
  if (!changed)
    spdlog::error("event=tls_reload_failed trigger=file_change kept=\"{}\" error=\"{}\"",
                  tls.describe(), changed.error().message);
  else if (*changed)
    spdlog::info("event=tls_reloaded trigger=file_change {}", tls.describe());
}

struct TlsMaintenance::State : std::enable_shared_from_this<State> {
  State(asio::io_context& main_loop, asio::thread_pool& pool, std::shared_ptr<net::ServerTls> t,
        TlsMaintenanceOptions o)
      : main(main_loop),
        blocking(pool),
        tls(std::move(t)),
        options(std::move(o)),
        timer(main),
        hangup(main, SIGHUP) {}

  void schedule() {
    timer.expires_after(options.check_interval);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (error || self->stopped) return;
      self->run(false, [self] { self->schedule(); });
    });
  }
  void wait_for_hangup() {
    hangup.async_wait([self = shared_from_this()](const boost::system::error_code& error, int) {
      if (error || self->stopped) return;
      self->run(true, [self] { self->wait_for_hangup(); });
    });
  }
  // The check on the worker pool, then `next` back on the main loop.
  template <class Next>
  void run(bool forced, Next next) {
    asio::post(blocking, [self = shared_from_this(), forced, next = std::move(next)] {
      {
        std::lock_guard lock(self->checking);  // SIGHUP during a periodic check waits for it
        maintain_tls(self->options, *self->tls, forced);
      }
      if (!self->stopped) asio::post(self->main, next);
    });
  }

  asio::io_context& main;
  asio::thread_pool& blocking;
  std::shared_ptr<net::ServerTls> tls;
  TlsMaintenanceOptions options;
  asio::steady_timer timer;
  asio::signal_set hangup;
  std::atomic<bool> stopped{false};
  std::mutex checking;
};

TlsMaintenance::TlsMaintenance(asio::io_context& main, asio::thread_pool& blocking,
                               std::shared_ptr<net::ServerTls> tls, TlsMaintenanceOptions options)
    : state_(std::make_shared<State>(main, blocking, std::move(tls), std::move(options))) {}

TlsMaintenance::~TlsMaintenance() { stop(); }

void TlsMaintenance::start() {
  state_->schedule();
  state_->wait_for_hangup();
}

void TlsMaintenance::stop() {
  if (state_->stopped.exchange(true)) return;
  boost::system::error_code ignored;
  state_->timer.cancel();
  state_->hangup.cancel(ignored);
}

}  // namespace pw::app
