// DATA beyond [smtp] data_memory_bytes (issue 17 item 4): once the data read so far is larger,
// the header section stays in memory and everything after it goes on to an unnamed file in the
// spool's tmp dir, in writes of kFlushBytes, as it arrives. The checks, the signer and the spool
// then read the body from that file (mail::MessageContent), so a session holds about
// data_memory_bytes whatever the message's size. The writes go to the page cache from the
// session's loop, as Postfix's cleanup writes its queue file as the message arrives.
// Fails closed: a header section larger than the memory size is refused (552), a file that
// cannot be made or written is a 451, and in both cases the rest of DATA is read and dropped.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "mail/message_content.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace pw::smtp {

class MessageSpill {
 public:
  using Opener = std::function<Result<util::UniqueFd>()>;
  static constexpr size_t kFlushBytes = 256 * 1024;

  MessageSpill(size_t memory_bytes, Opener open)
      : memory_bytes_(memory_bytes), open_(std::move(open)) {}

  // After each read: `buffer` is the un-stuffed data not yet moved on. Once it is larger than
  // the memory size, what follows its header section goes to the file and `buffer` keeps the
  // header section only.
  void absorb(std::string& buffer);
  // At the end of DATA: the rest of `buffer` after the header section goes to the file.
  void finish(std::string& buffer);
  // The message: `buffer` as finish() left it, and the file's bytes after it.
  mail::MessageContent content(const std::string& buffer) const;

  bool header_too_big() const { return header_too_big_; }
  const std::string& error() const { return error_; }  // "" = no failure
  bool spilled() const { return static_cast<bool>(file_); }
  uint64_t spilled_bytes() const { return written_; }

 private:
  void start(std::string& buffer);
  void move_on(std::string& buffer);

  size_t memory_bytes_;
  Opener open_;
  util::UniqueFd file_;
  size_t header_size_ = 0;  // the header section's length in buffer, with its empty line
  uint64_t written_ = 0;
  bool header_too_big_ = false;
  std::string error_;
};

}  // namespace pw::smtp
