// The registry of live sessions, for a clean shutdown.
#include "smtp/server_context.hpp"

namespace pw::smtp {

SessionRegistry::Handle SessionRegistry::add(std::weak_ptr<StoppableSession> session) {
  std::lock_guard lock(mutex_);
  return sessions_.insert(sessions_.end(), std::move(session));
}

void SessionRegistry::remove(Handle handle) {
  std::lock_guard lock(mutex_);
  sessions_.erase(handle);
}

void SessionRegistry::stop_all() {
  std::vector<std::shared_ptr<StoppableSession>> live;
  {
    std::lock_guard lock(mutex_);
    for (auto& weak : sessions_)
      if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->request_stop();
}

size_t SessionRegistry::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace pw::smtp
