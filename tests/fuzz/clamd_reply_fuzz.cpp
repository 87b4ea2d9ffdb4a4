// Fuzzes what the clamd client (F-AV, scan/clamd_client.cpp) reads from outside: clamd's reply to
// INSTREAM and the [clamd] socket address. Promises checked: a reply is exactly one of clean,
// infected (a non-empty signature of at most 200 printable ASCII characters) or error (a
// non-empty one-line text); an address parses to an absolute path or a host and a port 1..65535.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "scan/clamd_client.hpp"

namespace {

void check(bool promise) {
  if (!promise) std::abort();
}

bool printable_line(std::string_view text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) > 126) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto scan = pw::scan::parse_instream_reply(input);
  switch (scan.status) {
    case pw::scan::VirusStatus::kClean:
      check(scan.signature.empty() && scan.error.empty());
      break;
    case pw::scan::VirusStatus::kInfected:
      check(!scan.signature.empty() && scan.signature.size() <= 200 && scan.error.empty());
      check(printable_line(scan.signature));
      break;
    case pw::scan::VirusStatus::kError:
      check(!scan.error.empty() && scan.signature.empty() && printable_line(scan.error));
      break;
  }
  auto address = pw::scan::parse_clamd_address(input);
  if (address) {
    if (address->unix_socket) {
      check(!address->path.empty() && address->path.front() == '/' && address->path.size() < 108);
    } else {
      check(!address->host.empty() && !address->port.empty() && address->port.size() <= 5);
      int port = std::atoi(address->port.c_str());
      check(port >= 1 && port <= 65535);
    }
  } else {
    check(!address.error().message.empty() && printable_line(address.error().message));
  }
  return 0;
}
