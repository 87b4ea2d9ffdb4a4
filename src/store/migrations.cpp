// Every schema change of the node database, oldest first. A released migration is never edited:
// a change to the schema is a new entry at the end.
#include "store/migrations.hpp"

#include <array>

namespace pw::store {
namespace {

// 1: domains, their senders (F-DOM, F-AUTH-IP, F-AUTH-USER, F-AUTH-DOMAIN), per-user settings, and
// the config generation that running servers poll to know when to reload their sender snapshot.
constexpr std::string_view kTenancy = R"sql(
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value INTEGER
);
INSERT INTO meta(key, value) VALUES ('config_generation', 0);

CREATE TABLE domains (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  admin_contact TEXT NOT NULL DEFAULT '',
  dkim_selector TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK(kind IN ('ip', 'user', 'domain')),
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX users_domain ON users(domain_id);

CREATE TABLE user_settings (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY(user_id, key)
);

CREATE TRIGGER domains_insert_generation AFTER INSERT ON domains
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
CREATE TRIGGER domains_update_generation AFTER UPDATE ON domains
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
CREATE TRIGGER domains_delete_generation AFTER DELETE ON domains
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;

CREATE TRIGGER users_insert_generation AFTER INSERT ON users
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
CREATE TRIGGER users_update_generation AFTER UPDATE ON users
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
CREATE TRIGGER users_delete_generation AFTER DELETE ON users
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;

CREATE TRIGGER user_settings_insert_generation AFTER INSERT ON user_settings
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
CREATE TRIGGER user_settings_update_generation AFTER UPDATE ON user_settings
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
CREATE TRIGGER user_settings_delete_generation AFTER DELETE ON user_settings
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
)sql";

// 2: the message log and per-recipient queue state (F-QUEUE, F-LOG), domain aliases (F-ALIAS),
// per-domain delivery routes (F-DELIVER), and the commands the CLI leaves for a running server.
constexpr std::string_view kMessageLog = R"sql(
ALTER TABLE domains ADD COLUMN route TEXT NOT NULL DEFAULT '';

CREATE TABLE domain_aliases (
  alias TEXT PRIMARY KEY COLLATE NOCASE,
  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL
);
CREATE TRIGGER domain_aliases_insert_generation AFTER INSERT ON domain_aliases
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
CREATE TRIGGER domain_aliases_delete_generation AFTER DELETE ON domain_aliases
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;

CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  received_at INTEGER NOT NULL,
  client_ip TEXT NOT NULL,
  helo TEXT NOT NULL,
  tls INTEGER NOT NULL,
  auth_user TEXT,
  sender_kind TEXT NOT NULL,
  sender TEXT NOT NULL,
  user_domain TEXT NOT NULL COLLATE NOCASE,
  mail_from TEXT NOT NULL,
  sender_domain TEXT NOT NULL COLLATE NOCASE,
  size INTEGER NOT NULL,
  message_id TEXT NOT NULL DEFAULT '',
  subject TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  is_bounce INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
CREATE INDEX messages_received ON messages(received_at);
CREATE INDEX messages_sender_domain ON messages(sender_domain, received_at);
CREATE INDEX messages_user_domain ON messages(user_domain, received_at);
CREATE INDEX messages_status ON messages(status, received_at);

CREATE TABLE recipients (
  message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  rcpt TEXT NOT NULL,
  rcpt_domain TEXT NOT NULL COLLATE NOCASE,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_reply TEXT NOT NULL DEFAULT '',
  remote_host TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (message_id, rcpt)
);
CREATE INDEX recipients_rcpt ON recipients(rcpt);
CREATE INDEX recipients_domain ON recipients(rcpt_domain);
CREATE INDEX recipients_pending ON recipients(status) WHERE status IN ('queued', 'deferred');

CREATE TABLE message_events (
  id INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  rcpt TEXT NOT NULL DEFAULT '',
  at INTEGER NOT NULL,
  event TEXT NOT NULL,
  remote TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX message_events_message ON message_events(message_id);

CREATE TABLE queue_commands (
  id INTEGER PRIMARY KEY,
  command TEXT NOT NULL CHECK(command IN ('flush', 'delete')),
  message_id TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  done_at INTEGER,
  result TEXT NOT NULL DEFAULT ''
);
)sql";

// 3: the policy engine (F-IDENT, F-LOCK*, F-LIMITS, F-COUNTERS): identities, locks of users and
// identities, rolling counters in time buckets, editable templates, and every policy decision.
constexpr std::string_view kPolicy = R"sql(
CREATE TABLE identities (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  identity TEXT NOT NULL,
  manual INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL DEFAULT 0,
  messages INTEGER NOT NULL DEFAULT 0,
  UNIQUE(user_id, identity)
);

-- subject: 'user:<user name>' or 'identity:<user name>/<identity>'
CREATE TABLE locks (
  subject TEXT PRIMARY KEY,
  locked INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '',
  locked_at INTEGER NOT NULL DEFAULT 0,
  unlock_at INTEGER NOT NULL DEFAULT 0,
  automatic_unlocks INTEGER NOT NULL DEFAULT 0,
  locked_by TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER locks_insert_generation AFTER INSERT ON locks
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
CREATE TRIGGER locks_update_generation AFTER UPDATE ON locks
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
CREATE TRIGGER locks_delete_generation AFTER DELETE ON locks
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;

-- kind: connections, messages, recipients, invalid_recipients, spam; bucket: start (unix s)
CREATE TABLE counters (
  subject TEXT NOT NULL,
  kind TEXT NOT NULL,
  bucket INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY(subject, kind, bucket)
) WITHOUT ROWID;

CREATE TABLE templates (
  name TEXT PRIMARY KEY,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE decisions (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  message_id TEXT NOT NULL DEFAULT '',
  stage TEXT NOT NULL,
  check_name TEXT NOT NULL,
  action TEXT NOT NULL,
  mode TEXT NOT NULL DEFAULT 'enforce',
  reply TEXT NOT NULL DEFAULT '',
  reasons TEXT NOT NULL DEFAULT '',
  client_ip TEXT NOT NULL DEFAULT '',
  sender TEXT NOT NULL DEFAULT '',
  user_domain TEXT NOT NULL DEFAULT '',
  identity TEXT NOT NULL DEFAULT '',
  mail_from TEXT NOT NULL DEFAULT '',
  rcpt TEXT NOT NULL DEFAULT ''
);
CREATE INDEX decisions_at ON decisions(at);
CREATE INDEX decisions_message ON decisions(message_id);
CREATE INDEX decisions_sender ON decisions(sender, at);

ALTER TABLE messages ADD COLUMN identity TEXT NOT NULL DEFAULT '';
)sql";

// 4: the outgoing quarantine (F-QRESP, F-RELEASE) and the commands the CLI leaves for a running
// server to release held messages.
constexpr std::string_view kQuarantine = R"sql(
CREATE TABLE quarantine (
  id TEXT PRIMARY KEY,
  held_at INTEGER NOT NULL,
  client_ip TEXT NOT NULL DEFAULT '',
  sender_kind TEXT NOT NULL DEFAULT '',
  sender TEXT NOT NULL DEFAULT '',
  user_domain TEXT NOT NULL DEFAULT '',
  identity TEXT NOT NULL DEFAULT '',
  mail_from TEXT NOT NULL DEFAULT '',
  rcpt_to TEXT NOT NULL DEFAULT '[]',
  subject TEXT NOT NULL DEFAULT '',
  header_message_id TEXT NOT NULL DEFAULT '',
  size INTEGER NOT NULL DEFAULT 0,
  check_name TEXT NOT NULL DEFAULT '',
  reasons TEXT NOT NULL DEFAULT '',
  score REAL NOT NULL DEFAULT 0,
  response TEXT NOT NULL DEFAULT 'rejected',
  status TEXT NOT NULL DEFAULT 'held' CHECK(status IN ('held', 'released', 'deleted')),
  released_at INTEGER NOT NULL DEFAULT 0,
  released_by TEXT NOT NULL DEFAULT '',
  queue_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX quarantine_domain ON quarantine(user_domain, held_at);
CREATE INDEX quarantine_status ON quarantine(status, held_at);

-- A release asked for by the CLI while a gateway runs: the gateway spools and queues it.
CREATE TABLE quarantine_commands (
  id INTEGER PRIMARY KEY,
  command TEXT NOT NULL CHECK(command IN ('release')),
  quarantine_id TEXT NOT NULL,
  requested_by TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  done_at INTEGER,
  result TEXT NOT NULL DEFAULT ''
);
)sql";

// 5: the archive of outgoing mail (F-ARCHIVE), per envelope sender's domain.
constexpr std::string_view kArchive = R"sql(
CREATE TABLE archive (
  id TEXT PRIMARY KEY,
  archived_at INTEGER NOT NULL,
  domain TEXT NOT NULL,
  sender TEXT NOT NULL DEFAULT '',
  mail_from TEXT NOT NULL DEFAULT '',
  rcpt_to TEXT NOT NULL DEFAULT '[]',
  subject TEXT NOT NULL DEFAULT '',
  header_message_id TEXT NOT NULL DEFAULT '',
  size INTEGER NOT NULL DEFAULT 0,
  path TEXT NOT NULL
);
CREATE INDEX archive_domain_time ON archive(domain, archived_at);
)sql";

// 6: a domain's own spam threshold (F-SPAM); NULL = the configured [spam] threshold.
constexpr std::string_view kSpamThreshold = R"sql(
ALTER TABLE domains ADD COLUMN spam_threshold INTEGER;
)sql";

// 7: newly registered domains (F-NRD): registration times from an imported feed
// (`postwarden nrd import`). The import bumps config_generation once, not a trigger per row.
constexpr std::string_view kNewDomains = R"sql(
CREATE TABLE new_domains (
  domain TEXT PRIMARY KEY,
  registered_at INTEGER NOT NULL,
  imported_at INTEGER NOT NULL
);
CREATE INDEX new_domains_registered ON new_domains(registered_at);
)sql";

// 8: the admin's hash block list (F-FUZZY): attachment SHA-256 hashes and fuzzy fingerprints.
// A change bumps the config generation, so running gateways reload their policy snapshot.
constexpr std::string_view kHashBlocks = R"sql(
CREATE TABLE hash_blocks (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK(kind IN ('sha256', 'fuzzy')),
  value TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  UNIQUE(kind, value)
);
CREATE TRIGGER hash_blocks_insert_generation AFTER INSERT ON hash_blocks
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
CREATE TRIGGER hash_blocks_update_generation AFTER UPDATE ON hash_blocks
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
CREATE TRIGGER hash_blocks_delete_generation AFTER DELETE ON hash_blocks
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
)sql";

// 9: bounce address tag validation (F-BATV): the tag keys by number (0-9, reused after ten
// rotations), each retired once the tags made with it have expired, and the per-domain switch.
// A key change bumps the config generation, so running gateways tag and verify with it at once.
constexpr std::string_view kBatv = R"sql(
ALTER TABLE domains ADD COLUMN batv INTEGER NOT NULL DEFAULT 0 CHECK(batv IN (0, 1));

CREATE TABLE batv_keys (
  id INTEGER PRIMARY KEY,
  number INTEGER NOT NULL CHECK(number BETWEEN 0 AND 9),
  secret TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  retired_at INTEGER
);
CREATE INDEX batv_keys_number ON batv_keys(number, retired_at);
CREATE TRIGGER batv_keys_insert_generation AFTER INSERT ON batv_keys
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
CREATE TRIGGER batv_keys_update_generation AFTER UPDATE ON batv_keys
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
)sql";

// 10: panel accounts (F-PANEL): administrators of the node and of one domain each (the domain's
// accounts go with it), argon2id password hashes, and API tokens kept as SHA-256 digests only.
constexpr std::string_view kAccounts = R"sql(
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK(role IN ('admin', 'domain')),
  domain_id INTEGER REFERENCES domains(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  CHECK((role = 'admin') = (domain_id IS NULL))
);
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  token_sha256 TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX api_tokens_account ON api_tokens(account_id);
)sql";

// 11: node-wide settings an administrator changes at run time (F-PANEL: the abuse contact, over
// the config file's [policy] abuse_contact). A change bumps the config generation, so a running
// gateway uses it at once.
constexpr std::string_view kNodeSettings = R"sql(
CREATE TABLE node_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TRIGGER node_settings_insert_generation AFTER INSERT ON node_settings
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
CREATE TRIGGER node_settings_update_generation AFTER UPDATE ON node_settings
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
CREATE TRIGGER node_settings_delete_generation AFTER DELETE ON node_settings
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
)sql";

// 12: log search and the dashboard over millions of messages (F-LOG, F-PANEL). Each index ends in
// (received_at, id), the keyset order of the log search, so a filtered page is an index range
// read newest first that stops after `limit` rows, with no sort. The domain indexes lead the
// status ones: "domain + status + time" is the panel's most common query. Decisions get their
// reasons as JSON (rule, text, score) for the panel's "why was this blocked?". The time index
// also holds sender and identity, so the dashboard's top senders of a day read no table rows.
constexpr std::string_view kLogSearch = R"sql(
DROP INDEX messages_received;
DROP INDEX messages_sender_domain;
DROP INDEX messages_user_domain;
DROP INDEX messages_status;
CREATE INDEX messages_received ON messages(received_at, id, sender, identity);
CREATE INDEX messages_sender_domain ON messages(sender_domain, received_at, id);
CREATE INDEX messages_user_domain ON messages(user_domain, received_at, id);
CREATE INDEX messages_status ON messages(status, received_at, id);
CREATE INDEX messages_sender_domain_status ON messages(sender_domain, status, received_at, id);
CREATE INDEX messages_user_domain_status ON messages(user_domain, status, received_at, id);
CREATE INDEX decisions_action ON decisions(action, at);
ALTER TABLE decisions ADD COLUMN reasons_json TEXT NOT NULL DEFAULT '';
)sql";

// 13: the administrator's spam decisions (F-SPAM learning): a release is a ham example, "confirm
// as spam" a spam example; one row per quarantined message (a later decision replaces it), with
// the message's model features (varint deltas, hex) and the tokenizer version they were made
// with. A change bumps the config generation, so running gateways rebuild their model.
constexpr std::string_view kSpamExamples = R"sql(
CREATE TABLE spam_examples (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL UNIQUE,
  label TEXT NOT NULL CHECK(label IN ('spam', 'ham')),
  tokenizer INTEGER NOT NULL,
  features TEXT NOT NULL,
  decided_by TEXT NOT NULL,
  decided_at INTEGER NOT NULL
);
CREATE TRIGGER spam_examples_insert_generation AFTER INSERT ON spam_examples
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
CREATE TRIGGER spam_examples_delete_generation AFTER DELETE ON spam_examples
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
)sql";

// 14: AUTH bans of the brute-force guard, kept across restarts (issue 15, item 14): one row per
// banned IP with its expiry (unix seconds); rows past their expiry are deleted by the gateway.
constexpr std::string_view kAuthBans = R"sql(
CREATE TABLE auth_bans (
  ip TEXT PRIMARY KEY,
  banned_until INTEGER NOT NULL
);
CREATE INDEX auth_bans_until ON auth_bans(banned_until);
)sql";

// 15: counter resets asked for by the CLI or the API (issue 15, item 12): the running gateway
// keeps its counters in memory, so a reset is also a request it applies at its next reload (the
// insert bumps the config generation). Rows older than a day are pruned by the next request.
constexpr std::string_view kCounterResets = R"sql(
CREATE TABLE counter_resets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  subject TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT '',
  requested_at INTEGER NOT NULL
);
CREATE TRIGGER counter_resets_insert_generation AFTER INSERT ON counter_resets
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'config_generation'; END;
)sql";

// 16: one table for the commands the CLI leaves for a running gateway (issue 16, item 2), in place
// of queue_commands and quarantine_commands; the ones not yet carried out move across.
constexpr std::string_view kGatewayCommands = R"sql(
CREATE TABLE gateway_commands (
  id INTEGER PRIMARY KEY,
  command TEXT NOT NULL CHECK(command IN ('flush', 'delete', 'release')),
  target TEXT NOT NULL DEFAULT '',
  requested_by TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  done_at INTEGER,
  result TEXT NOT NULL DEFAULT ''
);
CREATE INDEX gateway_commands_pending ON gateway_commands(done_at, id);
INSERT INTO gateway_commands (command, target, created_at)
  SELECT command, message_id, created_at FROM queue_commands WHERE done_at IS NULL ORDER BY id;
INSERT INTO gateway_commands (command, target, requested_by, created_at)
  SELECT command, quarantine_id, requested_by, created_at FROM quarantine_commands
  WHERE done_at IS NULL ORDER BY id;
DROP TABLE queue_commands;
DROP TABLE quarantine_commands;
)sql";

// One migration per line.
// clang-format off
constexpr std::array kMigrations = {
    Migration{1, kTenancy},
    Migration{2, kMessageLog},
    Migration{3, kPolicy},
    Migration{4, kQuarantine},
    Migration{5, kArchive},
    Migration{6, kSpamThreshold},
    Migration{7, kNewDomains},
    Migration{8, kHashBlocks},
    Migration{9, kBatv},
    Migration{10, kAccounts},
    Migration{11, kNodeSettings},
    Migration{12, kLogSearch},
    Migration{13, kSpamExamples},
    Migration{14, kAuthBans},
    Migration{15, kCounterResets},
    Migration{16, kGatewayCommands},
};
// clang-format on

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace pw::store
