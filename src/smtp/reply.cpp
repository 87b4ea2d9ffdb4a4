// Renders replies to their wire form.
#include "smtp/reply.hpp"

#include <fmt/format.h>

namespace pw::smtp {

std::string Reply::render() const {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const char separator = i + 1 < lines.size() ? '-' : ' ';
    if (enhanced.empty())
      out += fmt::format("{}{}{}\r\n", code, separator, lines[i]);
    else
      out += fmt::format("{}{}{} {}\r\n", code, separator, enhanced, lines[i]);
  }
  return out;
}

}  // namespace pw::smtp
