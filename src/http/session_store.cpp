// Panel login sessions in memory (F-PANEL).
#include "http/session_store.hpp"

#include <sodium.h>

#include "util/sodium_init.hpp"

namespace pw::http {

std::string random_token_hex() {
  (void)util::ensure_sodium();  // fails only when no randomness exists at all
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return std::string(hex, sizeof bytes * 2);
}

LoginSession SessionStore::create(const std::string& username, Clock::time_point now) {
  LoginSession session{random_token_hex(), random_token_hex(), username};
  std::lock_guard lock(mutex_);
  sessions_.insert_or_touch(session.id, Entry{session, now, now});
  return session;
}

std::optional<LoginSession> SessionStore::find(const std::string& id, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Entry* entry = sessions_.peek(id);
  if (entry == nullptr) return std::nullopt;
  if (now - entry->last_used >= limits_.idle || now - entry->created >= limits_.absolute) {
    sessions_.erase(id);
    return std::nullopt;
  }
  entry->last_used = now;
  return entry->session;
}

void SessionStore::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(id);
}

void SessionStore::remove_account(const std::string& username, const std::string& keep_id) {
  std::lock_guard lock(mutex_);
  sessions_.erase_if([&](const std::string& id, const Entry& entry) {
    return entry.session.username == username && id != keep_id;
  });
}

size_t SessionStore::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace pw::http
