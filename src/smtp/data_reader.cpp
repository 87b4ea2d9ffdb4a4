// The DATA state machine; see data_reader.hpp for the rule on bare CR and LF.
// Hand-written: it is a few states over bytes, and the exact end-of-data rule is ours to prove.
// Trust: every byte comes from the SMTP client.
#include "smtp/data_reader.hpp"

namespace pw::smtp {

void DataReader::append(char c) {
  ++size_;
  if (c == '\0') has_nul_ = true;
  if (static_cast<unsigned char>(c) >= 0x80) has_8bit_ = true;
  if (size_ > max_size_) {
    if (!too_big_) {
      too_big_ = true;
      std::string().swap(message_);
    }
    return;
  }
  message_.push_back(c);
}

void DataReader::append(std::string_view s) {
  for (char c : s) append(c);
}

size_t DataReader::feed(std::string_view input) {
  size_t i = 0;
  while (i < input.size() && state_ != State::kDone) {
    const char c = input[i++];
    switch (state_) {
      case State::kLineStart:
        if (c == '.') {
          state_ = State::kDot;
          break;
        }
        [[fallthrough]];
      case State::kMidLine:
        if (c == '\r') {
          state_ = State::kCr;
        } else {
          if (c == '\n') bare_line_ending_ = true;
          append(c);
          state_ = State::kMidLine;
        }
        break;
      case State::kCr:
        if (c == '\n') {
          append("\r\n");
          state_ = State::kLineStart;
        } else {
          bare_line_ending_ = true;  // a CR not followed by LF
          append('\r');
          state_ = State::kMidLine;
          --i;  // look at c again as an ordinary character
        }
        break;
      case State::kDot:
        if (c == '\r') {
          state_ = State::kDotCr;
        } else {
          // Dot-stuffing: a leading dot is removed (RFC 5321 4.5.2); c is taken as usual.
          state_ = State::kMidLine;
          --i;
        }
        break;
      case State::kDotCr:
        if (c == '\n') {
          state_ = State::kDone;
        } else {
          bare_line_ending_ = true;
          append('\r');
          state_ = State::kMidLine;
          --i;
        }
        break;
      case State::kDone:
        break;
    }
  }
  return i;
}

}  // namespace pw::smtp
