// Counts open sessions in total and per client IP (F-CONC), and keeps a share of the total for
// known clients (issue 15, item 7); a Slot releases on destruction.
// Thread-safe: every event loop acquires and releases here. Bounded: one entry per IP with an
// open session, removed when its last session ends.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace pw::net {

class ConnectionLimiter : public std::enable_shared_from_this<ConnectionLimiter> {
 public:
  // kUnknownShare: an unknown client, and unknown clients hold every place not reserved.
  enum class Refusal { kNone, kTotal, kPerIp, kUnknownShare };

  class Slot {
   public:
    Slot() = default;
    Slot(std::shared_ptr<ConnectionLimiter> owner, std::string ip, bool known)
        : owner_(std::move(owner)), ip_(std::move(ip)), known_(known) {}
    Slot(Slot&&) noexcept = default;
    Slot& operator=(Slot&& other) noexcept {
      if (this != &other) {
        if (owner_) owner_->release(ip_, known_);
        owner_ = std::move(other.owner_);
        ip_ = std::move(other.ip_);
        known_ = other.known_;
      }
      return *this;
    }
    ~Slot();
    // The client proved who it is (AUTH): its place no longer counts in the unknown share.
    void mark_known();

   private:
    std::shared_ptr<ConnectionLimiter> owner_;
    std::string ip_;
    bool known_ = true;
  };

  // `reserved_for_known` of `max_total` places are never given to unknown clients.
  ConnectionLimiter(int64_t max_total, int64_t max_per_ip, int64_t reserved_for_known = 0)
      : max_total_(max_total),
        max_per_ip_(max_per_ip),
        max_unknown_(max_total - std::min(reserved_for_known, max_total)) {}

  // On success `slot` holds the session's place until it is destroyed. `known`: the client's
  // address belongs to a known sender (decided by the caller at connect time).
  Refusal try_acquire(const std::string& ip, Slot& slot, bool known = true);
  int64_t total() const;
  int64_t unknown() const;
  int64_t count(const std::string& ip) const;

 private:
  void release(const std::string& ip, bool known);
  void make_known();
  int64_t max_total_;
  int64_t max_per_ip_;
  int64_t max_unknown_;
  mutable std::mutex mutex_;
  int64_t total_ = 0;
  int64_t unknown_ = 0;
  std::unordered_map<std::string, int64_t> per_ip_;
};

}  // namespace pw::net
