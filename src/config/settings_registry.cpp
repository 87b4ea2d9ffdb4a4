// The registry of every setting (STYLE 4): the only place a default or a bound is written.
#include "config/settings_registry.hpp"

#include <array>

namespace pw::config {
namespace {

#define PW_BIND(member) [](Config& c) -> SettingRef { return &c.member; }

const std::array kSettings = {
    // [server]
    SettingSpec{"server", "hostname", R"("")", 0, 0, "",
                "Host name in the greeting and in Received headers; empty = the system's name.",
                PW_BIND(server.hostname)},
    SettingSpec{"server", "listen", R"(["127.0.0.1:587"])", 0, 0, "",
                "Submission listeners (plain, with STARTTLS), as ADDR:PORT; [::1]:PORT for IPv6.",
                PW_BIND(server.listen)},
    SettingSpec{"server", "listen_tls", "[]", 0, 0, "",
                "Implicit-TLS submission listeners (RFC 8314, port 465 style).",
                PW_BIND(server.listen_tls)},
    SettingSpec{"server", "event_loops", "0", 0, 256, "threads",
                "Event-loop threads serving sessions; 0 = one per core.",
                PW_BIND(server.event_loops)},
    SettingSpec{"server", "blocking_threads", "4", 1, 256, "threads",
                "Worker threads for blocking work (disk sync, database, password hashing).",
                PW_BIND(server.blocking_threads)},
    SettingSpec{"server", "max_sessions", "1000", 1, 100000, "sessions",
                "SMTP sessions open at once in total; above it new clients get a 421.",
                PW_BIND(server.max_sessions)},
    SettingSpec{"server", "max_sessions_per_ip", "10", 1, 100000, "sessions",
                "SMTP sessions open at once from one client IP (F-CONC).",
                PW_BIND(server.max_sessions_per_ip)},
    SettingSpec{"server", "shutdown_grace_s", "10", 0, 3600, "s",
                "On SIGTERM, how long sessions may finish their transaction before they are cut.",
                PW_BIND(server.shutdown_grace_s)},
    SettingSpec{"server", "reload_interval_ms", "1000", 50, 600000, "ms",
                "How often the server looks for changes to domains and users made by the CLI.",
                PW_BIND(server.reload_interval_ms)},
    // [smtp]
    SettingSpec{"smtp", "max_command_line_length", "512", 64, 65536, "octets",
                "Longest command line, CRLF included (RFC 5321 4.5.3.1.4); longer gets 500 5.5.2.",
                PW_BIND(smtp.max_command_line_length)},
    SettingSpec{"smtp", "max_auth_line_length", "12288", 512, 65536, "octets",
                "Longest AUTH line or SASL response (RFC 4954 section 4).",
                PW_BIND(smtp.max_auth_line_length)},
    SettingSpec{"smtp", "max_recipients", "100", 1, 100000, "recipients",
                "Recipients per message; more get 452 4.5.3 (RFC 5321 4.5.3.1.8).",
                PW_BIND(smtp.max_recipients)},
    SettingSpec{"smtp", "max_message_size", "26214400", 1024, 2147483647, "octets",
                "Largest message, advertised with SIZE (RFC 1870); larger gets 552 5.3.4.",
                PW_BIND(smtp.max_message_size)},
    SettingSpec{"smtp", "idle_timeout_s", "300", 1, 3600, "s",
                "Time a client has to send its next complete command (RFC 5321 4.5.3.2.7).",
                PW_BIND(smtp.idle_timeout_s)},
    SettingSpec{"smtp", "data_timeout_s", "300", 1, 3600, "s",
                "Longest silence between two reads of message data during DATA.",
                PW_BIND(smtp.data_timeout_s)},
    SettingSpec{"smtp", "tls_handshake_timeout_s", "30", 1, 600, "s",
                "Time a client has to complete the TLS handshake.",
                PW_BIND(smtp.tls_handshake_timeout_s)},
    SettingSpec{"smtp", "write_timeout_s", "60", 1, 3600, "s",
                "Time a reply may wait for a client that does not read.",
                PW_BIND(smtp.write_timeout_s)},
    SettingSpec{"smtp", "max_errors", "10", 1, 1000, "errors",
                "Protocol errors in one session before it is closed with 421 4.7.0.",
                PW_BIND(smtp.max_errors)},
    SettingSpec{"smtp", "smtputf8", "true", 0, 0, "",
                "Offer SMTPUTF8 (RFC 6531): UTF-8 addresses in MAIL and RCPT.",
                PW_BIND(smtp.smtputf8)},
    // [tls]
    SettingSpec{
        "tls", "cert_file", R"("")", 0, 0, "",
        "PEM certificate chain; empty = <data-dir>/tls/cert.pem, self-signed on first start.",
        PW_BIND(tls.cert_file)},
    SettingSpec{"tls", "key_file", R"("")", 0, 0, "",
                "PEM private key; empty = <data-dir>/tls/key.pem, made on first start.",
                PW_BIND(tls.key_file)},
    SettingSpec{"tls", "require_tls_for_auth", "true", 0, 0, "",
                "AUTH only after STARTTLS (or on an implicit-TLS listener); else 538 5.7.11.",
                PW_BIND(tls.require_tls_for_auth)},
    // [auth]
    SettingSpec{"auth", "failure_delay_ms", "1000", 0, 60000, "ms",
                "Delay before the reply to a failed AUTH; doubles with each failure from one IP.",
                PW_BIND(auth.failure_delay_ms)},
    SettingSpec{"auth", "max_failure_delay_ms", "8000", 0, 600000, "ms",
                "Upper bound of the doubling AUTH failure delay.",
                PW_BIND(auth.max_failure_delay_ms)},
    SettingSpec{"auth", "max_failures", "10", 1, 100000, "failures",
                "Failed AUTH attempts from one IP within failure_window_s before it is refused.",
                PW_BIND(auth.max_failures)},
    SettingSpec{"auth", "failure_window_s", "600", 1, 604800, "s",
                "Rolling window over which failed AUTH attempts per IP are counted.",
                PW_BIND(auth.failure_window_s)},
    SettingSpec{"auth", "ban_time_s", "900", 1, 604800, "s",
                "How long an IP over max_failures is refused (421 at connect, 535 at AUTH).",
                PW_BIND(auth.ban_time_s)},
    SettingSpec{"auth", "tracked_ips", "100000", 100, 10000000, "addresses",
                "Client IPs whose AUTH failures are remembered; the oldest are forgotten first.",
                PW_BIND(auth.tracked_ips)},
    SettingSpec{"auth", "password_min_length", "10", 8, 1024, "characters",
                "Shortest password accepted for a user or domain sender.",
                PW_BIND(auth.password_min_length)},
    SettingSpec{"auth", "password_hash_ops", "2", 1, 20, "passes",
                "argon2id time cost of new password hashes.", PW_BIND(auth.password_hash_ops)},
    SettingSpec{"auth", "password_hash_mem_kib", "19456", 8192, 1048576, "KiB",
                "argon2id memory cost of new password hashes.",
                PW_BIND(auth.password_hash_mem_kib)},
};

#undef PW_BIND

}  // namespace

std::span<const SettingSpec> settings_registry() { return kSettings; }

}  // namespace pw::config
