// Fuzzes the SMTP command-line parser and the mailbox syntax check.
#include <cstdint>
#include <string_view>

#include "smtp/command_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  auto parsed = pw::smtp::parse_command(line);
  if (!parsed.error && !parsed.command.path.empty()) {
    (void)pw::smtp::mailbox_syntax_error(parsed.command.path, true);
    (void)pw::smtp::mailbox_syntax_error(parsed.command.path, false);
  }
  return 0;
}
