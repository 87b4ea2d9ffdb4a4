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
  while (sessions_.size() >= limits_.max_sessions && !order_.empty())
    erase_locked(sessions_.find(order_.front()));
  auto order = order_.insert(order_.end(), session.id);
  sessions_.emplace(session.id, Entry{session, now, now, order});
  return session;
}

std::optional<LoginSession> SessionStore::find(const std::string& id, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  Entry& entry = it->second;
  if (now - entry.last_used >= limits_.idle || now - entry.created >= limits_.absolute) {
    erase_locked(it);
    return std::nullopt;
  }
  entry.last_used = now;
  return entry.session;
}

void SessionStore::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it != sessions_.end()) erase_locked(it);
}

void SessionStore::remove_account(const std::string& username, const std::string& keep_id) {
  std::lock_guard lock(mutex_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    auto next = std::next(it);
    if (it->second.session.username == username && it->first != keep_id) erase_locked(it);
    it = next;
  }
}

size_t SessionStore::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void SessionStore::erase_locked(std::unordered_map<std::string, Entry>::iterator it) {
  if (it == sessions_.end()) return;
  order_.erase(it->second.order);
  sessions_.erase(it);
}

}  // namespace pw::http
