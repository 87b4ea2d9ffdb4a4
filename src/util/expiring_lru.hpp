// One bounded cache of values that expire (issue 16 item 2: the DNS resolver and the DNSBL client
// each wrote their own): a map from a string key to a value with its expiry time, the least
// recently used entry dropped first when `capacity` is reached; capacity 0 keeps nothing.
// Not thread-safe: each owner uses it from one thread (its event loop).
#pragma once
#include <chrono>
#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>

namespace pw::util {

template <class Value, class Clock = std::chrono::steady_clock>
class ExpiringLru {
 public:
  using TimePoint = typename Clock::time_point;

  explicit ExpiringLru(std::size_t capacity) : capacity_(capacity) {}

  // The value under `key` when it has not expired at `now` (it becomes the most recently used,
  // and `expires`, when given, receives its expiry); null otherwise. An expired entry is dropped.
  // The pointer is valid until the next store or erase.
  const Value* find(const std::string& key, TimePoint now, TimePoint* expires = nullptr) {
    auto found = index_.find(key);
    if (found == index_.end()) return nullptr;
    auto entry = found->second;
    if (entry->expires <= now) {
      index_.erase(found);
      entries_.erase(entry);
      return nullptr;
    }
    entries_.splice(entries_.begin(), entries_, entry);
    if (expires) *expires = entry->expires;
    return &entry->value;
  }

  // Stores (or replaces) `key`, most recently used, until `expires`.
  void store(const std::string& key, Value value, TimePoint expires) {
    if (capacity_ == 0) return;
    erase(key);
    entries_.push_front(Entry{key, std::move(value), expires});
    index_.emplace(key, entries_.begin());
    while (entries_.size() > capacity_) {
      index_.erase(entries_.back().key);
      entries_.pop_back();
    }
  }

  void erase(const std::string& key) {
    if (auto found = index_.find(key); found != index_.end()) {
      entries_.erase(found->second);
      index_.erase(found);
    }
  }

  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string key;
    Value value;
    TimePoint expires;
  };
  std::size_t capacity_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string, typename std::list<Entry>::iterator> index_;
};

}  // namespace pw::util
