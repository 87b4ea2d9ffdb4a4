// Fuzzes the DATA reader, checking its promises: consumed never exceeds the input, the message
// never exceeds the limit, and feeding in two chunks gives what feeding at once gives.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "smtp/data_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr uint64_t kLimit = 4096;
  pw::smtp::DataReader whole(kLimit);
  size_t used = whole.feed(input);
  if (used > input.size() || whole.message().size() > kLimit) std::abort();
  // Done only at a real end marker: "<CRLF>.<CRLF>", or ".<CRLF>" as the very first line.
  if (whole.done()) {
    std::string_view taken = input.substr(0, used);
    bool at_start = used == 3 && taken == ".\r\n";
    if (!at_start && (used < 5 || taken.substr(used - 5) != "\r\n.\r\n")) std::abort();
  }
  size_t split = size ? data[0] % (size + 1) : 0;
  pw::smtp::DataReader parts(kLimit);
  size_t used2 = parts.feed(input.substr(0, split));
  if (!parts.done()) used2 += parts.feed(input.substr(split));
  if (used2 != used || parts.done() != whole.done() || parts.message() != whole.message() ||
      parts.bare_line_ending() != whole.bare_line_ending())
    std::abort();
  return 0;
}
