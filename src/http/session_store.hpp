// Panel login sessions (F-PANEL): random 256-bit ids held in memory only, each with its CSRF
// token, ended after an idle time and after an absolute time, at most a bounded number at once
// (the oldest logins go first). Thread-safe.
// Trust: ids come from client cookies; an unknown, expired or malformed id finds nothing.
#pragma once
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

#include "util/lru_map.hpp"

namespace pw::http {

// From [http] (api/api_context builds it); no default of its own.
struct SessionLimits {
  std::chrono::seconds idle{0};
  std::chrono::seconds absolute{0};
  size_t max_sessions = 0;
};

struct LoginSession {
  std::string id;          // 64 hex digits: the pw_session cookie
  std::string csrf_token;  // 64 hex digits: the X-CSRF-Token the session's changes must carry
  std::string username;    // the panel account
};

class SessionStore {
 public:
  using Clock = std::chrono::steady_clock;
  explicit SessionStore(SessionLimits limits) : limits_(limits), sessions_(limits.max_sessions) {}

  LoginSession create(const std::string& username, Clock::time_point now = Clock::now());
  // The live session with this id (its idle time starts again), nullopt otherwise.
  std::optional<LoginSession> find(const std::string& id, Clock::time_point now = Clock::now());
  void remove(const std::string& id);
  // Ends every session of an account (removed, or its password changed) but `keep_id`.
  void remove_account(const std::string& username, const std::string& keep_id = "");
  size_t size() const;

 private:
  struct Entry {
    LoginSession session;
    Clock::time_point created;
    Clock::time_point last_used;
  };
  SessionLimits limits_;
  mutable std::mutex mutex_;
  // Never touched after the login (peek): when full, the oldest login is dropped first.
  util::LruMap<Entry> sessions_;
};

// 256 bits from the system's CSPRNG as 64 lower-case hex digits.
std::string random_token_hex();

}  // namespace pw::http
