// Session counting for F-CONC and the total session limit.
#include "net/connection_limiter.hpp"

namespace pw::net {

ConnectionLimiter::Slot::~Slot() {
  if (owner_) owner_->release(ip_);
}

ConnectionLimiter::Refusal ConnectionLimiter::try_acquire(const std::string& ip, Slot& slot) {
  {
    std::lock_guard lock(mutex_);
    if (total_ >= max_total_) return Refusal::kTotal;
    auto& count = per_ip_[ip];
    if (count >= max_per_ip_) {
      if (count == 0) per_ip_.erase(ip);
      return Refusal::kPerIp;
    }
    ++count;
    ++total_;
  }
  slot = Slot(shared_from_this(), ip);
  return Refusal::kNone;
}

void ConnectionLimiter::release(const std::string& ip) {
  std::lock_guard lock(mutex_);
  --total_;
  auto it = per_ip_.find(ip);
  if (it != per_ip_.end() && --it->second <= 0) per_ip_.erase(it);
}

int64_t ConnectionLimiter::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

int64_t ConnectionLimiter::count(const std::string& ip) const {
  std::lock_guard lock(mutex_);
  auto it = per_ip_.find(ip);
  return it == per_ip_.end() ? 0 : it->second;
}

}  // namespace pw::net
