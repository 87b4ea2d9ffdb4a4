// One bounded cache of values that expire (issue 16 item 2: the DNS resolver and the DNSBL client
// each wrote their own), on util/lru_map: a map from a string key to a value with its expiry
// time, the least recently used entry dropped first when `capacity` is reached; capacity 0 keeps
// nothing.
// Not thread-safe: each owner uses it from one thread (its event loop).
#pragma once
#include <chrono>
#include <cstddef>
#include <string>
#include <utility>

#include "util/lru_map.hpp"

namespace pw::util {

template <class Value, class Clock = std::chrono::steady_clock>
class ExpiringLru {
 public:
  using TimePoint = typename Clock::time_point;

  explicit ExpiringLru(std::size_t capacity) : capacity_(capacity), entries_(capacity) {}

  // The value under `key` when it has not expired at `now` (it becomes the most recently used,
  // and `expires`, when given, receives its expiry); null otherwise. An expired entry is dropped.
  // The pointer is valid until the next store or erase.
  const Value* find(const std::string& key, TimePoint now, TimePoint* expires = nullptr) {
    Entry* entry = entries_.find(key);
    if (entry == nullptr) return nullptr;
    if (entry->expires <= now) {
      entries_.erase(key);
      return nullptr;
    }
    if (expires) *expires = entry->expires;
    return &entry->value;
  }

  // Stores (or replaces) `key`, most recently used, until `expires`.
  void store(const std::string& key, Value value, TimePoint expires) {
    if (capacity_ == 0) return;
    Entry& entry = entries_.insert_or_touch(key);
    entry.value = std::move(value);
    entry.expires = expires;
  }

  void erase(const std::string& key) { entries_.erase(key); }

  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Value value{};
    TimePoint expires{};
  };
  std::size_t capacity_;
  LruMap<Entry> entries_;
};

}  // namespace pw::util
