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

constexpr std::array kMigrations = {
    Migration{1, kTenancy},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace pw::store
