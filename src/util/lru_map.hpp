// One bounded map from a string key to a value, the least recently used entry dropped first when
// it is full (issue 16 item 2: the DNS and DNSBL caches, the panel's login limiter and sessions
// and the SMTP brute-force guard each kept their own list beside their map). `find` and
// `insert_or_touch` make an entry the most recently used; `peek` does not, so an owner that
// never touches keeps its entries in the order they were added (the oldest dropped first).
// Not thread-safe: each owner holds its own lock or uses it from one thread.
#pragma once
#include <algorithm>
#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>

namespace pw::util {

template <class Value>
class LruMap {
 public:
  // At most max(capacity, 1) entries.
  explicit LruMap(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

  // The value under `key`, now the most recently used; null when there is none. Valid until the
  // next insert or erase.
  Value* find(const std::string& key) {
    auto found = index_.find(key);
    if (found == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, found->second);
    return &found->second->second;
  }
  Value* peek(const std::string& key) {
    auto found = index_.find(key);
    return found == index_.end() ? nullptr : &found->second->second;
  }

  // The value under `key`, most recently used; a new one (`fresh`) when missing, for which the
  // least recently used entries are dropped first.
  Value& insert_or_touch(const std::string& key, Value fresh = Value{}) {
    if (Value* existing = find(key)) return *existing;
    while (entries_.size() >= capacity_) {
      index_.erase(entries_.back().first);
      entries_.pop_back();
    }
    entries_.emplace_front(key, std::move(fresh));
    index_.emplace(key, entries_.begin());
    return entries_.front().second;
  }

  void erase(const std::string& key) {
    if (auto found = index_.find(key); found != index_.end()) {
      entries_.erase(found->second);
      index_.erase(found);
    }
  }
  template <class Predicate>  // Predicate(const std::string& key, const Value& value)
  void erase_if(Predicate&& drop) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (drop(it->first, it->second)) {
        index_.erase(it->first);
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
  }

  std::size_t size() const { return entries_.size(); }

 private:
  using Entries = std::list<std::pair<std::string, Value>>;  // most recently used first
  std::size_t capacity_;
  Entries entries_;
  std::unordered_map<std::string, typename Entries::iterator> index_;
};

}  // namespace pw::util
