// One event loop (io_context) per thread, one thread per core by default; sessions are spread
// over the loops round-robin and stay on the loop that took them.
#pragma once
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <thread>
#include <vector>

namespace pw::net {

class EventLoops {
 public:
  explicit EventLoops(size_t count);
  ~EventLoops();
  boost::asio::io_context& next();
  size_t size() const { return contexts_.size(); }
  void start();
  void stop();  // abandons whatever is still running on the loops
  void join();

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<WorkGuard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_{0};
};

}  // namespace pw::net
