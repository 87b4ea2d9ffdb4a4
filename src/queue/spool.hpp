// The durable spool: each accepted message is one file in <data-dir>/spool/incoming, written in
// spool/tmp, synced, renamed and its directory synced before the client hears 250 (F-QUEUE).
// File format: one line of JSON (the envelope), then the message bytes exactly as accepted.
#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace pw::queue {

struct Envelope {
  std::string id;
  int64_t received_at = 0;  // unix seconds
  std::string client_ip;
  std::string helo;
  bool tls = false;
  std::optional<std::string> auth_user;  // the SMTP AUTH name, when the client authenticated
  std::string sender_kind;               // "ip", "user", "domain"
  std::string sender;                    // the outgoing user's name (CIDR, address, domain)
  std::string domain;                    // the outgoing user's domain
  std::string mail_from;
  std::vector<std::string> rcpt_to;
  uint64_t size = 0;
  std::string body = "7BIT";  // "7BIT" or "8BITMIME"
  bool smtputf8 = false;
  std::string identity;  // F-IDENT: the identity the policy found ("" = none)

  std::string to_json_line() const;  // one line, no newline
  static Result<Envelope> from_json_line(std::string_view line);
};

class Spool {
 public:
  // Creates spool/incoming and spool/tmp under `root`, and removes leftovers in tmp (partial
  // writes of a crashed process: never acknowledged, so never owed to anyone).
  static Result<Spool> open(const std::filesystem::path& root);

  // A new queue id: unique within the node, sortable by arrival time.
  std::string new_id();

  // Blocking: writes, syncs the file, renames it into incoming/ and syncs the directory. Only
  // after it returns success may the message be acknowledged. Run on a blocking-work thread.
  Result<void> store(const Envelope& envelope, const std::vector<std::string_view>& message_parts);

  const std::filesystem::path& incoming_dir() const { return incoming_; }
  // Where the queue keeps its outcome journal (queue/outcome_journal).
  const std::filesystem::path& journal_dir() const { return journal_; }

 private:
  std::filesystem::path incoming_;
  std::filesystem::path tmp_;
  std::filesystem::path journal_;
  util::UniqueFd incoming_fd_;
  std::shared_ptr<std::atomic<uint32_t>> counter_;
};

}  // namespace pw::queue
