// Event-loop threads.
#include "net/event_loops.hpp"

namespace pw::net {

EventLoops::EventLoops(size_t count) {
  for (size_t i = 0; i < count; ++i) {
    // Concurrency hint 1: each loop is run by exactly one thread, so Asio can skip locking.
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

EventLoops::~EventLoops() {
  stop();
  join();
}

boost::asio::io_context& EventLoops::next() {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

void EventLoops::start() {
  for (auto& context : contexts_) threads_.emplace_back([&context] { context->run(); });
}

void EventLoops::stop() {
  guards_.clear();
  for (auto& context : contexts_) context->stop();
}

void EventLoops::join() {
  for (auto& thread : threads_)
    if (thread.joinable()) thread.join();
  threads_.clear();
}

}  // namespace pw::net
