// F-AV: a client for ClamAV's clamd. It sends a message with the INSTREAM command (over clamd's
// Unix socket, or TCP "host:port") and reads the verdict; PING is the health probe.
// Hand-written: ClamAV ships no client library for clamd's socket protocol (libclamav scans in
// process, which would load the whole signature database into every gateway), and the protocol
// is a few lines: "zINSTREAM\0", chunks each preceded by its length as 4 bytes in network order,
// a zero length to end, then one reply "stream: OK\0", "stream: <name> FOUND\0" or "... ERROR\0".
//
// Blocking I/O bounded by a connect timeout and an overall deadline: call it on the blocking
// worker pool (util::run_blocking), never on an event loop.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "mail/message_content.hpp"
#include "util/result.hpp"

namespace pw::scan {

// From [clamd] (ClamdOptions::from); no default of its own.
struct ClamdOptions {
  std::string address;  // "/path/to/clamd.sock" or "host:port"
  int64_t connect_timeout_ms = 0;
  int64_t timeout_ms = 0;         // the whole exchange: connect, send, reply
  uint64_t max_stream_bytes = 0;  // clamd's StreamMaxLength; larger: an error, unsent
  uint64_t chunk_bytes = 0;

  static ClamdOptions from(const config::ClamdConfig& c);
};

enum class VirusStatus { kClean, kInfected, kError };
std::string_view to_string(VirusStatus status);

// The outcome of one scan: clean, infected (the signature clamd named) or an error (one line:
// why the message could not be scanned). An error never means clean.
struct VirusScan {
  VirusStatus status = VirusStatus::kError;
  std::string signature;  // kInfected: printable ASCII, at most 200 characters
  std::string error;      // kError: one line
  int64_t elapsed_ms = 0;

  bool clean() const { return status == VirusStatus::kClean; }
  bool infected() const { return status == VirusStatus::kInfected; }
  bool failed() const { return status == VirusStatus::kError; }
};

// Where clamd listens: an absolute path (Unix socket) or "host:port" / "[v6]:port".
struct ClamdAddress {
  bool unix_socket = true;
  std::string path;  // unix_socket
  std::string host;  // TCP
  std::string port;
};
Result<ClamdAddress> parse_clamd_address(std::string_view address);

// One reply of clamd to INSTREAM (the NUL or newline at its end may be present or not).
VirusScan parse_instream_reply(std::string_view reply);

// Scans `data` with INSTREAM. Always returns within options.timeout_ms (plus scheduling).
VirusScan clamd_scan(const ClamdOptions& options, std::string_view data);
// The same for a message whose body may be in a file (issue 17 item 4), sent as it is read.
VirusScan clamd_scan(const ClamdOptions& options, const mail::MessageContent& message);

// PING → PONG within the timeouts; the error says what went wrong.
Result<void> clamd_ping(const ClamdOptions& options);

}  // namespace pw::scan
