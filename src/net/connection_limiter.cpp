// Session counting for F-CONC, the total session limit and the share kept for known clients.
#include "net/connection_limiter.hpp"

namespace pw::net {

ConnectionLimiter::Slot::~Slot() {
  if (owner_) owner_->release(ip_, known_);
}

void ConnectionLimiter::Slot::mark_known() {
  if (!owner_ || known_) return;
  owner_->make_known();
  known_ = true;
}

ConnectionLimiter::Refusal ConnectionLimiter::try_acquire(const std::string& ip, Slot& slot,
                                                          bool known) {
  {
    std::lock_guard lock(mutex_);
    if (total_ >= max_total_) return Refusal::kTotal;
    auto& count = per_ip_[ip];
    if (count >= max_per_ip_ || (!known && unknown_ >= max_unknown_)) {
      const bool per_ip = count >= max_per_ip_;
      if (count == 0) per_ip_.erase(ip);
      return per_ip ? Refusal::kPerIp : Refusal::kUnknownShare;
    }
    ++count;
    ++total_;
    if (!known) ++unknown_;
  }
  slot = Slot(shared_from_this(), ip, known);
  return Refusal::kNone;
}

void ConnectionLimiter::release(const std::string& ip, bool known) {
  std::lock_guard lock(mutex_);
  --total_;
  if (!known) --unknown_;
  auto it = per_ip_.find(ip);
  if (it != per_ip_.end() && --it->second <= 0) per_ip_.erase(it);
}

void ConnectionLimiter::make_known() {
  std::lock_guard lock(mutex_);
  --unknown_;
}

int64_t ConnectionLimiter::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

int64_t ConnectionLimiter::unknown() const {
  std::lock_guard lock(mutex_);
  return unknown_;
}

int64_t ConnectionLimiter::count(const std::string& ip) const {
  std::lock_guard lock(mutex_);
  auto it = per_ip_.find(ip);
  return it == per_ip_.end() ? 0 : it->second;
}

}  // namespace pw::net
