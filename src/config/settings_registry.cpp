// The registry of every setting (STYLE 4): the only place a default or a bound is written.
// Over 500 lines on purpose: it is one declarative table, a row per setting, read top to bottom.
#include "config/settings_registry.hpp"

#include <array>

namespace pw::config {
namespace {

#define PW_BIND(member) [](Config& c) -> SettingRef { return &c.member; }

// The settings with a fixed set of values (SettingSpec::choices).
constexpr std::array<std::string_view, 2> kOnFailure = {"tempfail", "accept"};
constexpr std::array<std::string_view, 6> kRspamdActions = {
    "reject", "soft reject", "rewrite subject", "add header", "greylist", "no action"};
constexpr std::array<std::string_view, 6> kCanonicalization = {
    "relaxed/relaxed", "relaxed/simple", "simple/relaxed", "simple/simple", "relaxed", "simple"};
constexpr std::array<std::string_view, 2> kKeyAlgorithms = {"rsa", "ed25519"};
constexpr std::array<std::string_view, 2> kGroupSync = {"filesystem", "file"};

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
    SettingSpec{"server", "reserved_for_known_percent", "10", 0, 90, "%",
                "Share of max_sessions (rounded down) kept for known senders, clients in an IP "
                "user's range: unknown clients get a 421 at connect once they hold the rest.",
                PW_BIND(server.reserved_for_known_percent)},
    SettingSpec{"server", "max_tls_refusals", "64", 1, 100000, "connections",
                "Refused implicit-TLS clients handshaken at once to read their 421 over TLS; "
                "beyond it a refused client is closed without a reply.",
                PW_BIND(server.max_tls_refusals)},
    SettingSpec{"server", "shutdown_grace_s", "10", 0, 3600, "s",
                "On SIGTERM, how long sessions may finish their transaction before they are cut.",
                PW_BIND(server.shutdown_grace_s)},
    SettingSpec{"server", "reload_interval_ms", "1000", 50, 600000, "ms",
                "How often the server looks for changes to domains and users made by the CLI.",
                PW_BIND(server.reload_interval_ms)},
    // [spool]
    SettingSpec{"spool", "group_commit_max", "64", 1, 4096, "messages",
                "Most messages that finish DATA together and share one data sync and one "
                "directory sync; each still hears 250 only once its own file is durable.",
                PW_BIND(spool.group_commit_max)},
    SettingSpec{"spool", "group_commit_wait_us", "0", 0, 100000, "us",
                "How long a batch smaller than group_commit_max waits for more messages; 0 = "
                "none (a batch is whatever arrived while the previous one was syncing).",
                PW_BIND(spool.group_commit_wait_us)},
    SettingSpec{"spool", "spare_files", "64", 0, 4096, "files",
                "Empty spool files kept ahead of need: made while the spool is idle, and "
                "delivered messages' files emptied and kept instead of removed, so that a "
                "message's file is neither created on the path of its 250 nor freed; 0 = none.",
                PW_BIND(spool.spare_files)},
    SettingSpec{"spool", "group_commit_sync", R"("filesystem")", 0, 0, "",
                "How a batch's data is synced: filesystem = one syncfs(2) for the batch; file = "
                "one fdatasync(2) per message (for a spool sharing its file system with heavy "
                "unrelated writers).",
                PW_BIND(spool.group_commit_sync), kGroupSync},
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
    SettingSpec{"smtp", "data_memory_bytes", "1048576", 65536, 67108864, "octets",
                "Message data a session keeps in memory; a larger message goes on to an unnamed "
                "file in the spool's tmp dir as it arrives, and the checks and the signer read it "
                "from there. Also the largest header section accepted (more gets 552 5.3.4).",
                PW_BIND(smtp.data_memory_bytes)},
    SettingSpec{"smtp", "idle_timeout_s", "300", 1, 3600, "s",
                "Longest silence while the server waits for a command (RFC 5321 4.5.3.2.7).",
                PW_BIND(smtp.idle_timeout_s)},
    SettingSpec{"smtp", "command_deadline_s", "300", 1, 3600, "s",
                "Total time one command line (or AUTH line) may take to arrive, however it "
                "trickles in; then 421 4.4.2 and the session closes.",
                PW_BIND(smtp.command_deadline_s)},
    SettingSpec{"smtp", "data_timeout_s", "300", 1, 3600, "s",
                "Longest silence between two reads of message data during DATA.",
                PW_BIND(smtp.data_timeout_s)},
    SettingSpec{"smtp", "data_deadline_s", "600", 1, 86400, "s",
                "Total time from the 354 to the end of the message data, however it trickles "
                "in; then 421 4.4.2, the session closes and nothing is queued.",
                PW_BIND(smtp.data_deadline_s)},
    SettingSpec{"smtp", "tls_handshake_timeout_s", "30", 1, 600, "s",
                "Time a client has to complete the TLS handshake.",
                PW_BIND(smtp.tls_handshake_timeout_s)},
    SettingSpec{"smtp", "write_timeout_s", "60", 1, 3600, "s",
                "Time a reply may wait for a client that does not read.",
                PW_BIND(smtp.write_timeout_s)},
    SettingSpec{"smtp", "max_errors", "10", 1, 1000, "errors",
                "Protocol errors in one session before it is closed with 421 4.7.0.",
                PW_BIND(smtp.max_errors)},
    SettingSpec{"smtp", "max_hops", "50", 1, 1000, "Received fields",
                "Received: header fields a message may carry; more is a mail loop, refused with "
                "554 5.4.6 (RFC 5321 6.3; Postfix's hopcount_limit is 50, Exim's 30).",
                PW_BIND(smtp.max_hops)},
    SettingSpec{"smtp", "max_header_fields", "1000", 10, 100000, "fields",
                "Header fields of one message (the header section up to its first empty line); "
                "more get 552 5.3.4 before any scan or DKIM signature runs.",
                PW_BIND(smtp.max_header_fields)},
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
    SettingSpec{"tls", "self_signed_days", "397", 1, 397, "days",
                "Validity of the self-signed certificate the gateway makes when no cert_file is "
                "set (at most 397 days, the CA/Browser Forum bound).",
                PW_BIND(tls.self_signed_days)},
    SettingSpec{"tls", "renew_before_days", "30", 1, 365, "days",
                "The self-signed certificate is made again, at start or at a periodic check, "
                "when it expires within this many days (or was made for longer than "
                "self_signed_days); capped at self_signed_days - 1.",
                PW_BIND(tls.renew_before_days)},
    SettingSpec{"tls", "reload_check_s", "60", 1, 86400, "s",
                "How often the certificate and key files are checked: changed ones (mtime, size, "
                "inode) are loaded for new SMTP and HTTPS connections without a restart, as on "
                "SIGHUP; a file that fails to load keeps the old certificate (error logged).",
                PW_BIND(tls.reload_check_s)},
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
    // [delivery]
    SettingSpec{"delivery", "enabled", "true", 0, 0, "",
                "Deliver queued mail; false holds everything in the queue (maintenance, tests).",
                PW_BIND(delivery.enabled)},
    SettingSpec{"delivery", "relay_host", R"("")", 0, 0, "",
                "Send all outgoing mail to HOST:PORT instead of the recipients' MX hosts.",
                PW_BIND(delivery.relay_host)},
    SettingSpec{"delivery", "dns_servers", "[]", 0, 0, "",
                "DNS servers as HOST:PORT for MX and address look-ups; empty = /etc/resolv.conf.",
                PW_BIND(delivery.dns_servers)},
    SettingSpec{"delivery", "dns_timeout_ms", "5000", 100, 60000, "ms",
                "Time one DNS query may take before it is retried or fails temporarily.",
                PW_BIND(delivery.dns_timeout_ms)},
    SettingSpec{"delivery", "dns_tries", "2", 1, 10, "tries",
                "Rounds over the DNS servers before a look-up fails temporarily.",
                PW_BIND(delivery.dns_tries)},
    SettingSpec{"delivery", "dns_cache_entries", "10000", 0, 10000000, "answers",
                "DNS answers kept by their TTL (least recently used dropped first); 0 = no cache.",
                PW_BIND(delivery.dns_cache_entries)},
    SettingSpec{"delivery", "smtp_port", "25", 1, 65535, "",
                "TCP port of the recipients' MX hosts.", PW_BIND(delivery.smtp_port)},
    SettingSpec{"delivery", "helo_name", R"("")", 0, 0, "",
                "Name sent in EHLO when delivering; empty = server.hostname.",
                PW_BIND(delivery.helo_name)},
    SettingSpec{"delivery", "max_connections", "100", 1, 10000, "connections",
                "Outgoing SMTP connections open at once in total.",
                PW_BIND(delivery.max_connections)},
    SettingSpec{"delivery", "max_connections_per_destination", "20", 1, 1000, "connections",
                "Outgoing connections open at once to one destination (domain or route).",
                PW_BIND(delivery.max_connections_per_destination)},
    SettingSpec{"delivery", "messages_per_connection", "100", 1, 100000, "messages",
                "Messages sent over one connection before it is closed and a new one opened.",
                PW_BIND(delivery.messages_per_connection)},
    SettingSpec{"delivery", "connection_reuse_s", "2", 0, 300, "s",
                "How long an idle outgoing connection waits for more mail to its destination.",
                PW_BIND(delivery.connection_reuse_s)},
    SettingSpec{"delivery", "retry_min_s", "300", 1, 86400, "s",
                "First retry delay after a temporary failure; doubles with each attempt.",
                PW_BIND(delivery.retry_min_s)},
    SettingSpec{"delivery", "retry_max_s", "4000", 1, 604800, "s",
                "Longest delay between two delivery attempts.", PW_BIND(delivery.retry_max_s)},
    SettingSpec{"delivery", "max_queue_lifetime_s", "432000", 1, 2592000, "s",
                "A message still undelivered after this long is returned to its sender (5 days).",
                PW_BIND(delivery.max_queue_lifetime_s)},
    SettingSpec{"delivery", "connect_timeout_s", "30", 1, 600, "s",
                "Time a TCP connection to a remote server may take.",
                PW_BIND(delivery.connect_timeout_s)},
    SettingSpec{"delivery", "greeting_timeout_s", "300", 1, 3600, "s",
                "Time the remote greeting may take (RFC 5321 4.5.3.2.1).",
                PW_BIND(delivery.greeting_timeout_s)},
    SettingSpec{"delivery", "command_timeout_s", "300", 1, 3600, "s",
                "Time a reply to MAIL, RCPT or DATA may take (RFC 5321 4.5.3.2).",
                PW_BIND(delivery.command_timeout_s)},
    SettingSpec{"delivery", "data_timeout_s", "600", 1, 3600, "s",
                "Time the reply after the end of data may take (RFC 5321 4.5.3.2.6).",
                PW_BIND(delivery.data_timeout_s)},
    SettingSpec{"delivery", "data_init_timeout_s", "120", 1, 3600, "s",
                "Time the 354 reply to DATA may take (RFC 5321 4.5.3.2.4).",
                PW_BIND(delivery.data_init_timeout_s)},
    SettingSpec{"delivery", "data_block_timeout_s", "180", 1, 3600, "s",
                "Time sending one block of the message may take (RFC 5321 4.5.3.2.5).",
                PW_BIND(delivery.data_block_timeout_s)},
    SettingSpec{"delivery", "tls_handshake_timeout_s", "300", 1, 3600, "s",
                "Time the TLS handshake after STARTTLS may take.",
                PW_BIND(delivery.tls_handshake_timeout_s)},
    SettingSpec{"delivery", "max_reply_line", "4096", 512, 65536, "bytes",
                "Longest reply line a remote server may send (CRLF included); longer cuts the "
                "connection.",
                PW_BIND(delivery.max_reply_line)},
    SettingSpec{"delivery", "max_reply_lines", "100", 1, 10000, "lines",
                "Lines of one reply a remote server may send; more cuts the connection.",
                PW_BIND(delivery.max_reply_lines)},
    SettingSpec{"delivery", "max_pipelined_bytes", "16384", 512, 1048576, "bytes",
                "Commands written at once before their replies are read (RFC 2920 3.1: bounds "
                "what the server must buffer).",
                PW_BIND(delivery.max_pipelined_bytes)},
    SettingSpec{"delivery", "require_tls", "false", 0, 0, "",
                "Deliver only over TLS; otherwise STARTTLS is used when offered (opportunistic).",
                PW_BIND(delivery.require_tls)},
    SettingSpec{"delivery", "allow_loopback_mx", "false", 0, 0, "",
                "Deliver to MX addresses on this machine's loopback, unspecified or link-local "
                "ranges; off, such addresses are skipped (a domain pointing its MX there would "
                "loop or reach local services). Tests turn it on. Fixed routes are not affected.",
                PW_BIND(delivery.allow_loopback_mx)},
    SettingSpec{"delivery", "allow_private_mx", "true", 0, 0, "",
                "Deliver to MX addresses in private ranges (10/8, 172.16/12, 192.168/16, "
                "100.64/10, fc00::/7); turn off on a gateway whose customers' DNS must not "
                "reach the internal network. Fixed routes are not affected.",
                PW_BIND(delivery.allow_private_mx)},
    SettingSpec{"delivery", "max_queued_messages", "1000000", 100, 100000000, "messages",
                "Messages the queue holds; above it new mail gets 452 4.3.1 until it drains.",
                PW_BIND(delivery.max_queued_messages)},
    SettingSpec{"delivery", "journal_rotate_bytes", "4194304", 4096, 1073741824, "bytes",
                "Size of an outcome-journal file before the next one is started (the journal "
                "keeps final delivery outcomes until the message log has them).",
                PW_BIND(delivery.journal_rotate_bytes)},
    // [log]
    SettingSpec{"log", "batch_size", "1000", 1, 100000, "records",
                "Message-log records written in one database transaction at most.",
                PW_BIND(log.batch_size)},
    SettingSpec{"log", "batch_delay_ms", "20", 0, 10000, "ms",
                "Longest wait for more records before a message-log transaction is written.",
                PW_BIND(log.batch_delay_ms)},
    // [policy]
    SettingSpec{"policy", "abuse_contact", R"("")", 0, 0, "",
                "Where abuse reports (ARF) and lock notices go when a domain has no "
                "administrator contact (the cluster default); empty: nowhere.",
                PW_BIND(policy.abuse_contact)},
    SettingSpec{"policy", "arf_max_attached_bytes", "1048576", 1024, 104857600, "bytes",
                "Blocked messages up to this size are attached whole to the abuse report; "
                "larger ones by their header section only.",
                PW_BIND(policy.arf_max_attached_bytes)},
    SettingSpec{"policy", "domain_admin_widest_prefix_v4", "24", 0, 32, "bits",
                "Widest IPv4 range (shortest prefix) a domain admin may add as an IP user.",
                PW_BIND(policy.domain_admin_widest_prefix_v4)},
    SettingSpec{"policy", "domain_admin_widest_prefix_v6", "48", 0, 128, "bits",
                "Widest IPv6 range (shortest prefix) a domain admin may add as an IP user.",
                PW_BIND(policy.domain_admin_widest_prefix_v6)},
    SettingSpec{"policy", "notify_admin_on_lock", "true", 0, 0, "",
                "Mail the domain's administrator contact when a user or identity is locked.",
                PW_BIND(policy.notify_admin_on_lock)},
    SettingSpec{"policy", "lock_message_ids", "20", 1, 50, "ids",
                "Queue (quarantine) ids of the spam messages that caused a lock named at most in "
                "its reason, reply and mail: the latest lock_spam_threshold + 1, up to this many.",
                PW_BIND(policy.lock_message_ids)},
    SettingSpec{"policy", "lock_evidence_subjects", "10000", 100, 10000000, "subjects",
                "Users and identities whose latest spam message ids are kept in memory for lock "
                "reasons; the least recently counted go first.",
                PW_BIND(policy.lock_evidence_subjects)},
    SettingSpec{"policy", "widest_prefix_v4", "8", 0, 32, "bits",
                "Widest IPv4 range anyone may add as an IP user; wider ones (catch-alls such as "
                "0.0.0.0/0 or ::ffff:0:0/96) only with user add --force at the CLI.",
                PW_BIND(policy.widest_prefix_v4)},
    SettingSpec{"policy", "widest_prefix_v6", "16", 0, 128, "bits",
                "Widest IPv6 range anyone may add as an IP user; wider ones (catch-alls such as "
                "::/0) only with user add --force at the CLI.",
                PW_BIND(policy.widest_prefix_v6)},
    // [scan]
    SettingSpec{
        "scan",
        "max_parts", "500", 1, 100000, "parts",
        "MIME parts of one message the scans look at; a message whose boundary or Content-Type "
        "lines exceed it is not parsed at all. More: not proven clean.",
        PW_BIND(scan.max_parts)},
    SettingSpec{"scan", "max_depth", "10", 1, 100, "levels",
                "Nesting of multipart and message/rfc822 parts the attachment scan follows.",
                PW_BIND(scan.max_depth)},
    SettingSpec{"scan", "max_decoded_bytes", "52428800", 1024, 1073741824, "bytes",
                "Transfer-decoded bytes of one message the attachment scan reads.",
                PW_BIND(scan.max_decoded_bytes)},
    SettingSpec{"scan", "max_text_part_bytes", "1048576", 4096, 1073741824, "bytes",
                "Text the spam and fuzzy checks read from one text part; the rest of a larger "
                "part is not read (as SpamAssassin's body_part_scan_size). Attachments are "
                "hashed and typed whole.",
                PW_BIND(scan.max_text_part_bytes)},
    SettingSpec{"scan", "max_archive_entries", "1000", 1, 1000000, "entries",
                "Entries of all archives (ZIP, OOXML, ODF) of one message.",
                PW_BIND(scan.max_archive_entries)},
    SettingSpec{"scan", "max_archive_expansion", "104857600", 1024, 4294967296, "bytes",
                "Uncompressed bytes read from the archives of one message (zip bombs).",
                PW_BIND(scan.max_archive_expansion)},
    SettingSpec{"scan", "max_archive_depth", "3", 1, 20, "levels",
                "Archives inside archives followed by the attachment scan.",
                PW_BIND(scan.max_archive_depth)},
    SettingSpec{"scan", "max_header_fields", "10000", 100, 1000000, "fields",
                "Header fields of all parts of one message; a message with more is not parsed by "
                "the scans (not proven clean).",
                PW_BIND(scan.max_header_fields)},
    SettingSpec{"scan", "max_scan_ms", "20000", 100, 600000, "ms",
                "Wall time one message's attachment or text scan may take; longer: not proven "
                "clean (refused when block_macros or block_pua is on).",
                PW_BIND(scan.max_scan_ms)},
    SettingSpec{"scan", "inline_max_bytes", "32768", 0, 1048576, "bytes",
                "A message up to this size, in memory and with no attachment walk asked for, has "
                "its text read by the spam and fuzzy checks on the session's own event loop: the "
                "hop to the worker pool and back costs more than the reading. Larger ones go to "
                "the worker pool. 0 = always the pool.",
                PW_BIND(scan.inline_max_bytes)},
    // [rspamd] (F-SPAM external scanner, off by default)
    SettingSpec{"rspamd", "url", R"("")", 0, 0, "",
                "rspamd's HTTP address, e.g. \"http://127.0.0.1:11333\"; every message is sent "
                "to its /checkv2 at the end of DATA. Empty: rspamd is not asked.",
                PW_BIND(rspamd.url)},
    SettingSpec{"rspamd", "connect_timeout_ms", "1000", 10, 60000, "ms",
                "Time the connection to rspamd may take.", PW_BIND(rspamd.connect_timeout_ms)},
    SettingSpec{"rspamd", "timeout_ms", "10000", 100, 300000, "ms",
                "Time the whole rspamd scan may take (connect, send, answer).",
                PW_BIND(rspamd.timeout_ms)},
    SettingSpec{"rspamd", "max_bytes", "20971520", 1024, 2147483647, "bytes",
                "Larger messages are not sent to rspamd (logged as skipped, not a failure).",
                PW_BIND(rspamd.max_bytes)},
    SettingSpec{"rspamd", "on_failure", R"("tempfail")", 0, 0, "",
                "When rspamd cannot be asked: \"tempfail\" (451, the client retries) or "
                "\"accept\" (the message passes unscanned, with a warning in the log).",
                PW_BIND(rspamd.on_failure), kOnFailure},
    SettingSpec{"rspamd", "spam_actions", R"(["reject"])", 0, 0, "",
                "The rspamd actions that make a message spam (quarantined when the user's "
                "block_spam is on); add \"add header\" and \"rewrite subject\" to be stricter.",
                PW_BIND(rspamd.spam_actions), kRspamdActions},
    // [spamd] (F-SPAM external scanner, off by default)
    SettingSpec{"spamd", "address", R"("")", 0, 0, "",
                "SpamAssassin spamd as HOST:PORT or a Unix socket path; every message is sent "
                "with SPAMC/1.5 REPORT at the end of DATA. Empty: spamd is not asked.",
                PW_BIND(spamd.address)},
    SettingSpec{"spamd", "connect_timeout_ms", "1000", 10, 60000, "ms",
                "Time the connection to spamd may take.", PW_BIND(spamd.connect_timeout_ms)},
    SettingSpec{"spamd", "timeout_ms", "30000", 100, 300000, "ms",
                "Time the whole spamd scan may take (connect, send, answer).",
                PW_BIND(spamd.timeout_ms)},
    SettingSpec{"spamd", "max_bytes", "512000", 1024, 2147483647, "bytes",
                "Larger messages are not sent to spamd (logged as skipped, not a failure); "
                "spamc's default limit.",
                PW_BIND(spamd.max_bytes)},
    SettingSpec{"spamd", "on_failure", R"("tempfail")", 0, 0, "",
                "When spamd cannot be asked: \"tempfail\" (451, the client retries) or "
                "\"accept\" (the message passes unscanned, with a warning in the log).",
                PW_BIND(spamd.on_failure), kOnFailure},
    // [clamd]
    SettingSpec{"clamd", "socket", R"("")", 0, 0, "",
                "clamd to scan every message with (F-AV): an absolute Unix socket path or "
                "host:port; empty = no virus scanning.",
                PW_BIND(clamd.socket)},
    SettingSpec{"clamd", "timeout_ms", "30000", 100, 600000, "ms",
                "Longest one scan may take, connect, send and reply together; then it failed.",
                PW_BIND(clamd.timeout_ms)},
    SettingSpec{"clamd", "connect_timeout_ms", "2000", 10, 60000, "ms",
                "Longest the connection to clamd may take.", PW_BIND(clamd.connect_timeout_ms)},
    SettingSpec{"clamd", "max_stream_bytes", "26214400", 1024, 4294967295, "bytes",
                "Largest message sent to clamd; keep it at or below clamd's StreamMaxLength. A "
                "larger message is a failed scan (see on_failure).",
                PW_BIND(clamd.max_stream_bytes)},
    SettingSpec{"clamd", "chunk_bytes", "65536", 1024, 16777216, "bytes",
                "Size of the INSTREAM chunks the message is sent in.", PW_BIND(clamd.chunk_bytes)},
    SettingSpec{"clamd", "on_failure", R"("tempfail")", 0, 0, "",
                "When clamd cannot be reached, times out or errs: tempfail (451, the client "
                "retries) or accept (deliver unscanned, logged as event=virus_scan_failed).",
                PW_BIND(clamd.on_failure), kOnFailure},
    // [ip_reputation]
    SettingSpec{"ip_reputation", "zones", "[]", 0, 0, "",
                "DNS block lists asked about each client IP at MAIL (RFC 5782), as \"zone\" or "
                "\"zone=weight\" (weight 1 when left out); empty = no look-ups.",
                PW_BIND(ip_reputation.zones)},
    SettingSpec{"ip_reputation", "threshold", "1.0", 0, 1000, "",
                "Summed weight of the lists (and history) that fired at which MAIL gets 550 5.7.1; "
                "1.0: one list of weight 1 is enough.",
                PW_BIND(ip_reputation.threshold)},
    SettingSpec{"ip_reputation", "timeout_ms", "2000", 50, 60000, "ms",
                "How long the block lists may take to answer; a list that does not answer in "
                "time is not a listing (logged), the mail goes on.",
                PW_BIND(ip_reputation.timeout_ms)},
    SettingSpec{"ip_reputation", "cache_max_entries", "10000", 0, 10000000, "answers",
                "Block-list answers kept by their TTL (least recently used dropped first); 0 = "
                "no cache.",
                PW_BIND(ip_reputation.cache_max_entries)},
    SettingSpec{"ip_reputation", "negative_ttl_s", "300", 0, 86400, "s",
                "How long a \"not listed\" answer is kept when the zone sends no SOA to say "
                "(RFC 2308); 0 = not kept.",
                PW_BIND(ip_reputation.negative_ttl_s)},
    SettingSpec{"ip_reputation", "history", "false", 0, 0, "",
                "Count the local history of each client IP: an IP with enough messages and a "
                "high spam ratio in the window adds history_weight to its score.",
                PW_BIND(ip_reputation.history)},
    SettingSpec{"ip_reputation", "history_window_hours", "24", 1, 768, "hours",
                "The rolling window of the history of a client IP.",
                PW_BIND(ip_reputation.history_window_hours)},
    SettingSpec{"ip_reputation", "history_min_messages", "20", 1, 100000000, "messages",
                "Messages a client IP must have sent in the window before its spam ratio counts.",
                PW_BIND(ip_reputation.history_min_messages)},
    SettingSpec{"ip_reputation", "history_spam_ratio", "0.5", 0, 1, "",
                "Share of spam verdicts among the messages of a client IP (0 to 1) at which its "
                "history fires.",
                PW_BIND(ip_reputation.history_spam_ratio)},
    SettingSpec{"ip_reputation", "history_weight", "1.0", 0, 1000, "",
                "What a bad history adds to the score of a client IP.",
                PW_BIND(ip_reputation.history_weight)},
    // [nrd]
    SettingSpec{"nrd", "max_age_hours", "24", 1, 8760, "hours",
                "Domains registered less than this long ago (by the imported feed) are refused "
                "for users with reject_new_domains.",
                PW_BIND(nrd.max_age_hours)},
    // [fuzzy] F-FUZZY
    SettingSpec{"fuzzy", "enabled", "true", 0, 0, "",
                "Fingerprint message bodies: hash block list matches and outbreak detection.",
                PW_BIND(fuzzy.enabled)},
    SettingSpec{"fuzzy", "match_threshold", "80", 50, 100, "percent",
                "Similarity of two fingerprints that makes them the same text (block list, "
                "campaigns).",
                PW_BIND(fuzzy.match_threshold)},
    SettingSpec{
        "fuzzy", "min_shingles", "10", 1, 10000, "shingles",
        "Texts with fewer distinct 4-word shingles get no fingerprint (too short to judge).",
        PW_BIND(fuzzy.min_shingles)},
    SettingSpec{"fuzzy", "max_text_bytes", "262144", 1024, 16777216, "bytes",
                "Body text of one message read into its fingerprint; the rest is ignored.",
                PW_BIND(fuzzy.max_text_bytes)},
    SettingSpec{"fuzzy", "outbreak_window_minutes", "60", 1, 10080, "minutes",
                "How long a campaign's senders are remembered for outbreak detection.",
                PW_BIND(fuzzy.outbreak_window_minutes)},
    SettingSpec{"fuzzy", "outbreak_users", "3", 2, 100000, "users",
                "Distinct users sending the same campaign within the window that make an outbreak.",
                PW_BIND(fuzzy.outbreak_users)},
    SettingSpec{"fuzzy", "outbreak_score", "5", 0, 1000, "points",
                "Score an outbreak adds to the message's spam score.",
                PW_BIND(fuzzy.outbreak_score)},
    SettingSpec{"fuzzy", "max_tracked", "100000", 100, 100000000, "entries",
                "Campaign-and-user entries the outbreak tracker keeps in memory; oldest go first.",
                PW_BIND(fuzzy.max_tracked)},
    // [spam]
    SettingSpec{"spam", "threshold", "99", 1, 100000, "points",
                "Score at or above which a message is spam: held when the user blocks spam, and "
                "counted towards the automatic lock. The score is 100 x the model's calibrated "
                "spam probability (GTUBE 1000); a domain's spam_threshold overrides it.",
                PW_BIND(spam.threshold)},
    SettingSpec{"spam", "unsure_threshold", "50", 1, 100000, "points",
                "Score at or above which a message below the spam threshold is unsure: "
                "delivered, logged with its score and counted apart, never held or locked on.",
                PW_BIND(spam.unsure_threshold)},
    SettingSpec{"spam", "min_known_tokens", "20", 0, 100000, "tokens",
                "Tokens of a message the model must know (have an opinion on) before the model "
                "alone may call it spam; with fewer it is unsure at most.",
                PW_BIND(spam.min_known_tokens)},
    SettingSpec{"spam", "learn_weight", "50", 1, 10000, "messages",
                "How many training messages one administrator's decision (a release: ham; "
                "confirm as spam: spam) counts as in the node's model.",
                PW_BIND(spam.learn_weight)},
    SettingSpec{"spam", "max_learned", "5000", 1, 1000000, "messages",
                "Decisions the node keeps as training examples (their tokens, on disk); the "
                "oldest go first.",
                PW_BIND(spam.max_learned)},
    SettingSpec{"spam", "model", R"("")", 0, 0, "",
                "Spam model file made by `postwarden train`; empty = <data-dir>/spam.model. "
                "Missing: the rules judge alone (event=spam_model_missing).",
                PW_BIND(spam.model)},
    // [batv] (F-BATV)
    SettingSpec{"batv", "tag_lifetime_days", "7", 1, 500, "days",
                "How long a prvs= tag on an outgoing envelope sender verifies; a bounce to an "
                "older tag is refused. A rotated key is retired once its tags have expired.",
                PW_BIND(batv.tag_lifetime_days)},
    SettingSpec{"batv", "max_address_length", "320", 64, 4096, "octets",
                "Longest tagged address the bounce listener reads; longer is malformed.",
                PW_BIND(batv.max_address_length)},
    // [inbound] (F-BATV)
    SettingSpec{"inbound", "enabled", "false", 0, 0, "",
                "Run the bounce listener: null-sender mail to prvs= tagged addresses of domains "
                "with batv on, delivered to the original address's route.",
                PW_BIND(inbound.enabled)},
    SettingSpec{"inbound", "listen", R"(["0.0.0.0:25"])", 0, 0, "",
                "Bounce listeners (plain, with STARTTLS), as ADDR:PORT; `serve "
                "--listen-inbound` replaces them and turns the listener on.",
                PW_BIND(inbound.listen)},
    // [dkim] (F-DKIM, F-DKIM-SEL)
    SettingSpec{"dkim", "enabled", "true", 0, 0, "",
                "Sign outgoing mail of every user whose DKIM selector (the user's, else the "
                "domain's) has a key made by `postwarden dkim keygen`.",
                PW_BIND(dkim.enabled)},
    SettingSpec{"dkim", "canonicalization", R"("relaxed/relaxed")", 0, 0, "",
                "c= of the signatures: header/body, each \"relaxed\" or \"simple\" "
                "(RFC 6376 3.4).",
                PW_BIND(dkim.canonicalization), kCanonicalization},
    SettingSpec{"dkim", "signed_headers",
                R"(["from", "reply-to", "subject", "date", "to", "cc", "resent-date", )"
                R"("resent-from", "resent-to", "resent-cc", "in-reply-to", "references", )"
                R"("list-id", "list-help", "list-unsubscribe", "list-subscribe", "list-post", )"
                R"("list-owner", "list-archive", "message-id", "mime-version", "content-type", )"
                R"("content-transfer-encoding", "content-id", "content-description"])",
                0, 0, "",
                "Header fields signed (h=), every instance present; RFC 6376 5.4.1's list.",
                PW_BIND(dkim.signed_headers)},
    SettingSpec{"dkim", "oversigned_headers", R"(["from"])", 0, 0, "",
                "Fields signed once more than present, so that one added on the way breaks "
                "the signature (RFC 6376 5.4.2).",
                PW_BIND(dkim.oversigned_headers)},
    SettingSpec{"dkim", "expire_after_s", "0", 0, 31536000, "seconds",
                "Adds x= (signature expiry) this long after t=; 0 = no x= tag.",
                PW_BIND(dkim.expire_after_s)},
    SettingSpec{"dkim", "default_algorithm", R"("rsa")", 0, 0, "",
                "Key type `dkim keygen` makes without --algorithm: \"rsa\" (rsa-sha256) or "
                "\"ed25519\" (ed25519-sha256, RFC 8463; not every receiver checks it yet).",
                PW_BIND(dkim.default_algorithm), kKeyAlgorithms},
    SettingSpec{"dkim", "rsa_bits", "2048", 1024, 4096, "bits",
                "RSA key size `dkim keygen` makes without --bits.", PW_BIND(dkim.rsa_bits)},
    // [http] (F-PANEL)
    SettingSpec{"http", "listen", R"("")", 0, 0, "",
                "HTTPS listener ADDR:PORT of the REST API, the panel and /metrics (TLS with the "
                "gateway's certificate); empty = off. `serve --http` replaces it.",
                PW_BIND(http.listen)},
    SettingSpec{"http", "web_root", R"("")", 0, 0, "",
                "Directory of the panel's built files; empty = the source tree's web/dist.",
                PW_BIND(http.web_root)},
    SettingSpec{"http", "max_body_bytes", "1048576", 1024, 1073741824, "octets",
                "Largest request body; a larger one is answered 413.",
                PW_BIND(http.max_body_bytes)},
    SettingSpec{"http", "max_header_bytes", "16384", 1024, 1048576, "octets",
                "Largest request line and header fields together; more closes the connection.",
                PW_BIND(http.max_header_bytes)},
    SettingSpec{"http", "read_timeout_s", "30", 1, 3600, "s",
                "Time a client has for the TLS handshake, for one request, and between two "
                "requests on a kept-alive connection.",
                PW_BIND(http.read_timeout_s)},
    SettingSpec{"http", "max_connections", "256", 1, 100000, "connections",
                "HTTP connections open at once; more are closed when accepted.",
                PW_BIND(http.max_connections)},
    SettingSpec{"http", "max_connections_per_ip", "32", 1, 100000, "connections",
                "HTTP connections open at once from one client IP; more are closed when accepted.",
                PW_BIND(http.max_connections_per_ip)},
    SettingSpec{"http", "max_static_bytes", "16777216", 1024, 1073741824, "octets",
                "Largest panel file served from web_root.", PW_BIND(http.max_static_bytes)},
    SettingSpec{"http", "session_idle_minutes", "30", 1, 10080, "minutes",
                "A panel login unused this long ends.", PW_BIND(http.session_idle_minutes)},
    SettingSpec{"http", "session_max_hours", "12", 1, 720, "hours",
                "A panel login ends this long after it began, used or not.",
                PW_BIND(http.session_max_hours)},
    SettingSpec{"http", "max_login_sessions", "10000", 10, 1000000, "sessions",
                "Panel logins kept in memory at once; the oldest end first.",
                PW_BIND(http.max_login_sessions)},
    SettingSpec{"http", "login_attempts_per_minute", "10", 1, 10000, "attempts",
                "Login attempts per client address (an IPv6 /64 counts as one) within a minute; "
                "more get 429.",
                PW_BIND(http.login_attempts_per_minute)},
    SettingSpec{"http", "login_failures_per_address_account", "5", 1, 10000, "failures",
                "Failed logins for one account from one client address within "
                "login_failure_window_s; more from that address get 429 (other addresses not).",
                PW_BIND(http.login_failures_per_address_account)},
    SettingSpec{"http", "login_failure_window_s", "900", 10, 86400, "s",
                "How long a failed login counts for login_failures_per_address_account and for "
                "the account's slow-down.",
                PW_BIND(http.login_failure_window_s)},
    SettingSpec{"http", "login_failure_delay_ms", "250", 0, 10000, "ms",
                "An account's logins (from any address, right or wrong) are answered this late "
                "after its first failure in the window, doubled per further failure; the account "
                "is slowed down, never locked.",
                PW_BIND(http.login_failure_delay_ms)},
    SettingSpec{"http", "login_max_failure_delay_ms", "4000", 0, 30000, "ms",
                "The bound of that slow-down.", PW_BIND(http.login_max_failure_delay_ms)},
    SettingSpec{"http", "login_limiter_keys", "100000", 100, 10000000, "entries",
                "Client addresses and address/account pairs the login limiter tracks (oldest "
                "dropped first).",
                PW_BIND(http.login_limiter_keys)},
    SettingSpec{"http", "metrics_allow", R"(["127.0.0.0/8", "::1/128"])", 0, 0, "",
                "Client networks (CIDR) allowed to read /metrics; others get 403.",
                PW_BIND(http.metrics_allow)},
};

#undef PW_BIND

}  // namespace

std::span<const SettingSpec> settings_registry() { return kSettings; }

}  // namespace pw::config
