// Counts open SMTP sessions in total and per client IP (F-CONC); a Slot releases on destruction.
// Thread-safe: every event loop acquires and releases here. Bounded: one entry per IP with an
// open session, removed when its last session ends.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace pw::net {

class ConnectionLimiter : public std::enable_shared_from_this<ConnectionLimiter> {
 public:
  enum class Refusal { kNone, kTotal, kPerIp };

  class Slot {
   public:
    Slot() = default;
    Slot(std::shared_ptr<ConnectionLimiter> owner, std::string ip)
        : owner_(std::move(owner)), ip_(std::move(ip)) {}
    Slot(Slot&&) noexcept = default;
    Slot& operator=(Slot&& other) noexcept {
      if (this != &other) {
        if (owner_) owner_->release(ip_);
        owner_ = std::move(other.owner_);
        ip_ = std::move(other.ip_);
      }
      return *this;
    }
    ~Slot();

   private:
    std::shared_ptr<ConnectionLimiter> owner_;
    std::string ip_;
  };

  ConnectionLimiter(int64_t max_total, int64_t max_per_ip)
      : max_total_(max_total), max_per_ip_(max_per_ip) {}

  // On success `slot` holds the session's place until it is destroyed.
  Refusal try_acquire(const std::string& ip, Slot& slot);
  int64_t total() const;
  int64_t count(const std::string& ip) const;

 private:
  void release(const std::string& ip);
  int64_t max_total_;
  int64_t max_per_ip_;
  mutable std::mutex mutex_;
  int64_t total_ = 0;
  std::unordered_map<std::string, int64_t> per_ip_;
};

}  // namespace pw::net
