// Runs one coroutine on an io_context until it finishes or a time limit passes (a hung look-up
// fails the test instead of hanging it).
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>

namespace pw::test {

constexpr std::chrono::seconds kAwaitableLimit{20};

// The coroutine's result; nullopt when it did not finish within `limit`. An exception it threw
// is thrown here.
template <class T>
std::optional<T> run_awaitable(boost::asio::io_context& io, boost::asio::awaitable<T> operation,
                               std::chrono::milliseconds limit = kAwaitableLimit) {
  struct Outcome {
    std::optional<T> value;
    std::exception_ptr error;
  };
  auto outcome = std::make_shared<Outcome>();  // outlives this call if the coroutine does
  boost::asio::co_spawn(io, std::move(operation), [outcome](std::exception_ptr error, T value) {
    outcome->error = error;
    if (!error) outcome->value = std::move(value);
  });
  io.restart();
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!outcome->value && !outcome->error && std::chrono::steady_clock::now() < deadline) {
    if (io.run_one_until(deadline) == 0) break;
  }
  if (outcome->error) std::rethrow_exception(outcome->error);
  return outcome->value;
}

}  // namespace pw::test
