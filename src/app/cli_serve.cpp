// `postwarden serve`: the command line and the process (logging, descriptor limit, libsodium);
// the node itself is app/gateway, started in phases and stopped cleanly on SIGTERM.
#include <sodium.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <string>
#include <vector>

#include "app/cli.hpp"
#include "app/gateway.hpp"
#include "scan/clamd_client.hpp"

namespace pw::app {
namespace {

struct ServeOptions {
  std::vector<std::string> listen;
  std::vector<std::string> listen_tls;
  std::vector<std::string> listen_inbound;  // F-BATV: the bounce listener; enables it
  std::string relay_host;
  std::string dns;
  std::string http;
};

std::string system_hostname() {
  char buffer[256] = {0};
  if (gethostname(buffer, sizeof buffer - 1) != 0 || buffer[0] == '\0') return "localhost";
  return buffer;
}

// A server that wants thousands of sessions needs the soft descriptor limit at the hard one.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// A peer that has gone makes a write fail with EPIPE instead of killing the gateway: OpenSSL
// writes the SMTP sessions' TLS records straight to their sockets (net/tls_socket), without the
// MSG_NOSIGNAL that Asio's own sends use.
void ignore_broken_pipes() { std::signal(SIGPIPE, SIG_IGN); }

void configure_logging() {
  auto logger = spdlog::stderr_logger_mt("postwarden");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

// The command line's listeners and peers replace the config file's.
void apply_options(const ServeOptions& options, config::Config& config) {
  if (!options.listen.empty()) config.server.listen = options.listen;
  if (!options.listen_tls.empty()) config.server.listen_tls = options.listen_tls;
  if (!options.listen_inbound.empty()) {  // F-BATV
    config.inbound.listen = options.listen_inbound;
    config.inbound.enabled = true;
  }
  if (!options.relay_host.empty()) config.delivery.relay_host = options.relay_host;
  if (!options.dns.empty()) config.delivery.dns_servers = {options.dns};
  if (!options.http.empty()) config.http.listen = options.http;  // F-PANEL
}

// F-AV: say at once whether clamd answers; mail waits for it either way.
void probe_clamd(const config::ClamdConfig& clamd) {
  auto probe = scan::ClamdOptions::from(clamd);
  probe.timeout_ms = std::min<int64_t>(probe.timeout_ms, 5000);
  if (auto pong = scan::clamd_ping(probe); pong)
    spdlog::info("event=clamd_ready clamd={}", clamd.socket);
  else
    spdlog::warn("event=clamd_unreachable clamd={} on_failure={} error=\"{}\"", clamd.socket,
                 clamd.on_failure, pong.error().message);
}

int serve(const GlobalOptions& global, const ServeOptions& options) {
  if (global.data_dir.empty()) return report_error("serve needs --data-dir DIR");
  auto loaded = load_node_config(global);
  if (!loaded) return report_error(loaded.error().message);
  config::Config config = std::move(*loaded);
  apply_options(options, config);
  if (config.server.listen.empty() && config.server.listen_tls.empty())
    return report_error("no listener configured");
  if (!config.clamd.socket.empty())  // F-AV: a bad address stops the start, not every message
    if (auto address = scan::parse_clamd_address(config.clamd.socket); !address)
      return report_error("[clamd] socket: " + address.error().message);
  configure_logging();
  raise_descriptor_limit();
  ignore_broken_pipes();
  if (!config.clamd.socket.empty()) probe_clamd(config.clamd);
  if (sodium_init() < 0) return report_error("libsodium failed to initialise");
  std::string hostname =
      config.server.hostname.empty() ? system_hostname() : config.server.hostname;
  Gateway gateway(std::move(config), global.data_dir, std::move(hostname));
  if (auto started = gateway.start(); !started) return report_error(started.error().message);
  return gateway.run();
}

}  // namespace

void register_serve_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<ServeOptions>();
  auto* serve_cmd = app.add_subcommand("serve", "Run the gateway");
  serve_cmd->add_option("--listen", options->listen,
                        "Submission listener ADDR:PORT (STARTTLS); repeatable");
  serve_cmd->add_option("--listen-tls", options->listen_tls,
                        "Implicit-TLS listener ADDR:PORT; repeatable");
  serve_cmd->add_option("--listen-inbound", options->listen_inbound,
                        "Bounce listener ADDR:PORT for DSNs to prvs= tagged senders (F-BATV); "
                        "enables [inbound]; repeatable");
  serve_cmd->add_option("--relay-host", options->relay_host, "Send all outgoing mail to HOST:PORT");
  serve_cmd->add_option("--dns", options->dns, "DNS server HOST:PORT for the resolver");
  serve_cmd->add_option("--http", options->http, "Panel and API listener ADDR:PORT");
  serve_cmd->callback([&action, options] {
    action = [options](const GlobalOptions& global) { return serve(global, *options); };
  });
}

}  // namespace pw::app
