// The node's configuration: one struct per TOML section. Every default, bound and doc line lives
// once, in the registry in settings_registry.cpp; these structs only hold the resolved values.
// Trust: the TOML file is admin input; load_config() validates every key and bound.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace pw::config {

struct ServerConfig {
  std::string hostname;                 // name in the banner and Received; "" = the system's
  std::vector<std::string> listen;      // submission listeners (STARTTLS), ADDR:PORT
  std::vector<std::string> listen_tls;  // implicit-TLS listeners (RFC 8314)
  int64_t event_loops = 0;              // 0 = one per core
  int64_t blocking_threads = 0;
  int64_t max_sessions = 0;
  int64_t max_sessions_per_ip = 0;
  int64_t reserved_for_known_percent = 0;  // of max_sessions, for clients in an IP user's range
  int64_t max_tls_refusals = 0;            // implicit-TLS refusals handshaken at once
  int64_t shutdown_grace_s = 0;
  int64_t reload_interval_ms = 0;
};

// Issue 17 item 1: group commit of the spool's files.
struct SpoolConfig {
  int64_t group_commit_max = 0;      // messages sharing one sync
  int64_t group_commit_wait_us = 0;  // how long a short batch waits for more
  std::string group_commit_sync;     // "filesystem" (syncfs) or "file" (fdatasync each)
  int64_t spare_files = 0;           // empty files made ahead of need while idle
};

struct SmtpConfig {
  int64_t max_command_line_length = 0;  // RFC 5321 4.5.3.1.4
  int64_t max_auth_line_length = 0;     // RFC 4954 4
  int64_t max_recipients = 0;           // RFC 5321 4.5.3.1.8
  int64_t max_message_size = 0;         // RFC 1870 SIZE
  int64_t data_memory_bytes = 0;        // DATA beyond this goes to a file (issue 17 item 4)
  int64_t idle_timeout_s = 0;           // silence while waiting for a command
  int64_t command_deadline_s = 0;       // total time of one command line
  int64_t data_timeout_s = 0;           // silence during DATA
  int64_t data_deadline_s = 0;          // total time of DATA
  int64_t tls_handshake_timeout_s = 0;
  int64_t write_timeout_s = 0;
  int64_t max_errors = 0;
  int64_t max_hops = 0;           // Received fields; more is a loop (5.4.6)
  int64_t max_header_fields = 0;  // fields in the message's header section (issue 15, item 5)
  bool smtputf8 = true;           // RFC 6531
};

struct TlsConfig {
  std::string cert_file;  // "" = <data-dir>/tls/cert.pem, made on first start
  std::string key_file;
  bool require_tls_for_auth = true;
  int64_t self_signed_days = 0;   // validity of the certificate the gateway makes itself
  int64_t renew_before_days = 0;  // ... made again when it expires within this many days
  int64_t reload_check_s = 0;     // how often the files are checked (mtime) and the cert renewed
};

struct AuthConfig {
  int64_t failure_delay_ms = 0;
  int64_t max_failure_delay_ms = 0;
  int64_t max_failures = 0;
  int64_t failure_window_s = 0;
  int64_t ban_time_s = 0;
  int64_t tracked_ips = 0;
  int64_t password_min_length = 0;
  int64_t password_hash_ops = 0;
  int64_t password_hash_mem_kib = 0;
};

struct DeliveryConfig {
  bool enabled = true;                   // false: accepted mail stays queued (maintenance)
  std::string relay_host;                // "host:port" for all mail; "" = MX look-ups
  std::vector<std::string> dns_servers;  // "127.0.0.1:53"; empty = /etc/resolv.conf
  int64_t dns_timeout_ms = 0;
  int64_t dns_tries = 0;
  int64_t dns_cache_entries = 0;
  int64_t smtp_port = 0;  // port of MX hosts (25)
  std::string helo_name;  // "" = server.hostname
  int64_t max_connections = 0;
  int64_t max_connections_per_destination = 0;
  int64_t messages_per_connection = 0;
  int64_t connection_reuse_s = 0;
  int64_t retry_min_s = 0;
  int64_t retry_max_s = 0;
  int64_t max_queue_lifetime_s = 0;
  int64_t connect_timeout_s = 0;
  int64_t greeting_timeout_s = 0;
  int64_t command_timeout_s = 0;
  int64_t data_timeout_s = 0;
  int64_t data_init_timeout_s = 0;
  int64_t data_block_timeout_s = 0;
  int64_t tls_handshake_timeout_s = 0;
  int64_t max_reply_line = 0;
  int64_t max_reply_lines = 0;
  int64_t max_pipelined_bytes = 0;
  bool require_tls = false;
  bool allow_loopback_mx = false;  // MX addresses on loopback/link-local (tests)
  bool allow_private_mx = true;    // MX addresses in private ranges
  int64_t max_queued_messages = 0;
  int64_t journal_rotate_bytes = 0;
};

struct LogConfig {
  int64_t batch_size = 0;
  int64_t batch_delay_ms = 0;
};

struct PolicyConfig {
  std::string abuse_contact;  // ARF reports and lock notices when a domain has no contact
  int64_t arf_max_attached_bytes = 0;
  bool notify_admin_on_lock = true;
  int64_t lock_message_ids = 0;               // F-LOCK-WHY: ids a lock names at most
  int64_t lock_evidence_subjects = 0;         // subjects whose latest spam ids are kept in memory
  int64_t domain_admin_widest_prefix_v4 = 0;  // IP users a domain admin adds: at most this wide
  int64_t domain_admin_widest_prefix_v6 = 0;
  int64_t widest_prefix_v4 = 0;  // wider IP users are catch-alls: refused unless forced
  int64_t widest_prefix_v6 = 0;
};

struct ScanConfig {
  int64_t max_parts = 0;
  int64_t max_depth = 0;
  int64_t max_decoded_bytes = 0;
  int64_t max_text_part_bytes = 0;  // text read from one text part (issue 17 item 4)
  int64_t max_archive_entries = 0;
  int64_t max_archive_expansion = 0;
  int64_t max_archive_depth = 0;
  int64_t max_header_fields = 0;  // header fields of all parts GMime may parse (item 4)
  int64_t max_scan_ms = 0;        // wall time of one message's MIME walk (issue 15, item 4)
  int64_t inline_max_bytes = 0;   // text read on the session's own thread (issue 17 item 2)
};

// F-SPAM optional external scanners (src/scan/external_scans.cpp); both off by default.
struct RspamdConfig {
  std::string url;  // "" = off
  int64_t connect_timeout_ms = 0;
  int64_t timeout_ms = 0;
  int64_t max_bytes = 0;
  std::string on_failure;  // "tempfail" | "accept"
  std::vector<std::string> spam_actions;
};

struct SpamdConfig {
  std::string address;  // "" = off
  int64_t connect_timeout_ms = 0;
  int64_t timeout_ms = 0;
  int64_t max_bytes = 0;
  std::string on_failure;  // "tempfail" | "accept"
};

// F-AV: virus scanning with ClamAV's clamd.
struct ClamdConfig {
  std::string socket;  // "" = off; an absolute Unix socket path or host:port
  int64_t timeout_ms = 0;
  int64_t connect_timeout_ms = 0;
  int64_t max_stream_bytes = 0;
  int64_t chunk_bytes = 0;
  std::string on_failure;  // tempfail | accept
};

// F-IPREP: DNS block lists and the local history of each client IP.
struct IpReputationConfig {
  std::vector<std::string> zones;  // "zone" or "zone=weight"; empty = no DNSBL look-ups
  double threshold = 0;            // summed weight at which MAIL is refused
  int64_t timeout_ms = 0;
  int64_t cache_max_entries = 0;
  int64_t negative_ttl_s = 0;  // "not listed" kept this long when the zone sends no SOA
  bool history = false;        // the local history of the client IP adds to the score
  int64_t history_window_hours = 0;
  int64_t history_min_messages = 0;
  double history_spam_ratio = 0;
  double history_weight = 0;
};

// F-NRD: newly registered domains, from an imported feed (`postwarden nrd import`).
struct NrdConfig {
  int64_t max_age_hours = 0;  // younger domains are refused for users with reject_new_domains
};

// F-FUZZY: fuzzy fingerprints, the hash block list and outbreak detection.
struct FuzzyConfig {
  bool enabled = true;
  int64_t match_threshold = 0;  // percent
  int64_t min_shingles = 0;
  int64_t max_text_bytes = 0;
  int64_t outbreak_window_minutes = 0;
  int64_t outbreak_users = 0;
  int64_t outbreak_score = 0;
  int64_t max_tracked = 0;
};

// F-SPAM: the native classifier's threshold and model file.
struct SpamConfig {
  int64_t threshold = 0;         // points; a domain's spam_threshold overrides it
  int64_t unsure_threshold = 0;  // points; below threshold and at or above this: unsure
  int64_t min_known_tokens = 0;  // known tokens before the model alone may say spam
  int64_t learn_weight = 0;      // training messages one admin decision counts as
  int64_t max_learned = 0;       // decisions kept as examples
  std::string model;             // "" = <data-dir>/spam.model
};

// F-BATV: bounce address tag validation (draft-levine-smtp-batv) of outgoing envelope senders.
struct BatvConfig {
  int64_t tag_lifetime_days = 0;   // a tag verifies until this many days after it was made
  int64_t max_address_length = 0;  // longer tagged addresses are refused as malformed
};

// F-BATV: the listener for bounces to tagged addresses (null sender only).
struct InboundConfig {
  bool enabled = false;
  std::vector<std::string> listen;  // ADDR:PORT
};

// F-DKIM: signing outgoing mail (src/dkim/). Keys live in <data-dir>/dkim/<domain>/<selector>.pem.
struct DkimConfig {
  bool enabled = true;                      // false: nothing is signed, whatever the selectors say
  std::string canonicalization;             // c=, "relaxed/relaxed" | "simple/simple" | mixed
  std::vector<std::string> signed_headers;  // lower-case field names (h=)
  std::vector<std::string> oversigned_headers;  // signed once more than present
  int64_t expire_after_s = 0;                   // x= = t= + this; 0 = no expiry tag
  std::string default_algorithm;                // keygen without --algorithm: "rsa" | "ed25519"
  int64_t rsa_bits = 0;                         // keygen without --bits
};

// F-PANEL: the HTTPS server of the REST API, the panel and /metrics (src/http/).
struct HttpConfig {
  std::string listen;                      // ADDR:PORT; "" = off
  std::string web_root;                    // "" = the source tree's web/dist (PW_WEB_ROOT)
  int64_t max_body_bytes = 0;              // larger request bodies get 413
  int64_t max_header_bytes = 0;            // request line and headers together
  int64_t read_timeout_s = 0;              // TLS handshake, one request, an idle keep-alive
  int64_t max_connections = 0;             // open at once; more are closed at accept
  int64_t max_connections_per_ip = 0;      // open at once from one client IP
  int64_t max_static_bytes = 0;            // largest panel file served
  int64_t session_idle_minutes = 0;        // a login session unused this long ends
  int64_t session_max_hours = 0;           // a login session ends this long after login
  int64_t max_login_sessions = 0;          // kept in memory; the oldest go first
  int64_t login_attempts_per_minute = 0;   // per client address (IPv6 /64); then 429
  std::vector<std::string> metrics_allow;  // CIDRs allowed to read /metrics

  // Panel logins (issue 15, item 8): failures per (address, account) within the window get 429
  // there; an account's failures slow its logins down (doubled per failure, bounded).
  int64_t login_failures_per_address_account = 0;
  int64_t login_failure_window_s = 0;
  int64_t login_failure_delay_ms = 0;
  int64_t login_max_failure_delay_ms = 0;
  int64_t login_limiter_keys = 0;
};

struct Config {
  ServerConfig server;
  SpoolConfig spool;
  SmtpConfig smtp;
  TlsConfig tls;
  AuthConfig auth;
  DeliveryConfig delivery;
  LogConfig log;
  PolicyConfig policy;
  ScanConfig scan;
  RspamdConfig rspamd;
  SpamdConfig spamd;
  ClamdConfig clamd;
  IpReputationConfig ip_reputation;
  NrdConfig nrd;
  FuzzyConfig fuzzy;
  SpamConfig spam;
  BatvConfig batv;        // F-BATV
  InboundConfig inbound;  // F-BATV
  DkimConfig dkim;
  HttpConfig http;  // F-PANEL
};

// The defaults of every setting.
Config default_config();

// Reads a TOML file over the defaults. Unknown keys, wrong types and values out of bounds are
// errors, so a typo never silently leaves a default in force.
Result<Config> load_config(const std::string& path);
Result<Config> parse_config(std::string_view toml_text, std::string_view source_name = "config");

// The configuration reference (Markdown), generated from the registry.
std::string reference_markdown();

}  // namespace pw::config
