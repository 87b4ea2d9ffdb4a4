// A spooled message read for delivery (issue 17 item 4): one no larger than the memory size is
// read whole, as before; a larger one stays in its spool file and is read while it is sent,
// in pieces of kPieceBytes, each read on the worker pool so the queue's loop never waits for
// the disk. So delivering a large message holds a piece of it, not all of it.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <filesystem>
#include <string>

#include "delivery/client_session.hpp"
#include "util/file_range.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace pw::queue {

struct SpooledMessage {
  std::string message;    // the whole message, when it is held in memory
  util::UniqueFd file;    // else the open spool file
  util::FileRange range;  // and where the message lies in it
  bool ends_with_crlf = true;
  bool in_file() const { return static_cast<bool>(file); }
};

// Blocking: opens the spool file, skips its envelope line, and reads the message when it is at
// most `memory_bytes` ([smtp] data_memory_bytes), else keeps the file open.
Result<SpooledMessage> open_spooled_message(const std::filesystem::path& path,
                                            uint64_t memory_bytes);

// The message's first `max` bytes (its header section, for a DSN: a header section is never
// larger than the memory size, which DATA holds it to).
Result<std::string> message_start(const SpooledMessage& message, uint64_t max);

class SpoolFileReader final : public delivery::MessageReader {
 public:
  static constexpr size_t kPieceBytes = 256 * 1024;
  SpoolFileReader(const SpooledMessage& message, boost::asio::thread_pool& pool)
      : message_(message), pool_(pool) {}
  uint64_t size() const override { return message_.range.length; }
  bool ends_with_crlf() const override { return message_.ends_with_crlf; }
  boost::asio::awaitable<tl::expected<std::string, std::string>> next() override;

 private:
  const SpooledMessage& message_;
  boost::asio::thread_pool& pool_;
  uint64_t done_ = 0;
};

}  // namespace pw::queue
