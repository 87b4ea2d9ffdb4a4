// Runs blocking work (disk sync, SQLite, password hashing) on the worker pool and resumes the
// calling coroutine on its own executor (STYLE 6: never block an event loop).
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <type_traits>

namespace pw::util {

template <class Fn>
auto run_blocking(boost::asio::thread_pool& pool, Fn fn)
    -> boost::asio::awaitable<std::invoke_result_t<Fn&>> {
  using R = std::invoke_result_t<Fn&>;
  co_return co_await boost::asio::co_spawn(
      pool.get_executor(),
      [fn = std::move(fn)]() mutable -> boost::asio::awaitable<R> { co_return fn(); },
      boost::asio::use_awaitable);
}

}  // namespace pw::util
