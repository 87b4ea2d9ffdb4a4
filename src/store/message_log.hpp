// The message log (F-LOG) and the durable per-recipient queue state (F-QUEUE): every message,
// every recipient's status with its history, searchable.
// Trust: search filters come from admins; every value is bound, never spliced into SQL.
#pragma once
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/database.hpp"
#include "util/result.hpp"

namespace pw::store {

enum class DeliveryStatus { kQueued, kDeferred, kDelivered, kBounced, kExpired, kDeleted };

std::string_view to_string(DeliveryStatus status);
std::optional<DeliveryStatus> parse_delivery_status(std::string_view text);
bool is_final(DeliveryStatus status);

struct ReceivedMessage {
  std::string id;
  int64_t received_at = 0;
  std::string client_ip;
  std::string helo;
  bool tls = false;
  std::optional<std::string> auth_user;
  std::string sender_kind;
  std::string sender;
  std::string user_domain;
  std::string mail_from;
  uint64_t size = 0;
  std::string message_id;
  std::string subject;
  bool is_bounce = false;
  std::vector<std::string> recipients;
  std::string identity;
};

struct RecipientUpdate {
  std::string message_id;
  std::string rcpt;
  DeliveryStatus status = DeliveryStatus::kQueued;
  int64_t attempts = 0;
  int64_t next_attempt_at = 0;
  std::string reply;        // the remote server's reply or our reason
  std::string remote_host;  // "mx.example.net[192.0.2.1]:25"
  std::string event;        // history entry: delivered, deferred, bounced, expired, deleted
};

struct RecipientRow {
  std::string rcpt;
  std::string rcpt_domain;
  DeliveryStatus status = DeliveryStatus::kQueued;
  int64_t attempts = 0;
  int64_t next_attempt_at = 0;
  std::string last_reply;
  std::string remote_host;
  int64_t updated_at = 0;
};

struct MessageRow {
  std::string id;
  int64_t received_at = 0;
  std::string client_ip;
  std::string helo;
  bool tls = false;
  std::optional<std::string> auth_user;
  std::string sender_kind;
  std::string sender;
  std::string user_domain;
  std::string mail_from;
  std::string sender_domain;
  uint64_t size = 0;
  std::string message_id;
  std::string subject;
  std::string status;
  bool is_bounce = false;
  int64_t updated_at = 0;
  std::string identity;
  std::vector<RecipientRow> recipients;
};

struct EventRow {
  int64_t at = 0;
  std::string rcpt;
  std::string event;
  std::string remote;
  std::string detail;
};

struct SearchFilter {
  std::optional<std::string> sender;     // MAIL FROM, exact (case-insensitive)
  std::optional<std::string> recipient;  // RCPT TO, exact (case-insensitive)
  std::optional<std::string> domain;     // the user's domain or the sending domain (aliases map)
  std::optional<std::string> user;       // the outgoing user's name or the AUTH name
  std::optional<std::string> client_ip;
  std::optional<std::string> identity;
  std::optional<std::string> status;  // message status
  std::optional<int64_t> since;       // received_at >= since
  std::optional<int64_t> until;       // received_at < until
  int64_t limit = 100;
  int64_t offset = 0;
  // Keyset pagination: only messages after this one in newest-first order, i.e. with
  // (received_at, id) < before. Used instead of offset, which costs a scan of the skipped rows.
  std::optional<std::pair<int64_t, std::string>> before;
};

// The domain part of an address, lower-cased ("" for the null sender).
std::string address_domain(std::string_view address);

class MessageLog {
 public:
  explicit MessageLog(Database& db) : db_(db) {}
  Database& database() { return db_; }

  Result<void> record_received(const ReceivedMessage& message);
  Result<void> record_recipient(const RecipientUpdate& update);
  Result<void> record_event(std::string_view message_id, std::string_view rcpt,
                            std::string_view event, std::string_view remote,
                            std::string_view detail);
  Result<bool> known(std::string_view message_id);

  Result<std::vector<MessageRow>> search(const SearchFilter& filter);
  // The main domain of an alias (F-ALIAS), else the name itself, lower-cased.
  Result<std::string> main_domain(std::string_view domain);
  Result<std::optional<MessageRow>> find(std::string_view message_id);
  Result<std::vector<EventRow>> events(std::string_view message_id);
  // Messages with at least one recipient still queued or deferred, oldest first.
  Result<std::vector<MessageRow>> pending(int64_t limit = -1);

  // Makes deferred recipients due now (of one message, or every one when `message_id` is "");
  // returns how many.
  Result<int64_t> make_deferred_due(std::string_view message_id);

 private:
  Result<void> load_recipients(MessageRow& row);
  std::string_view rcpt_order();
  Database& db_;
};

nlohmann::json to_json(const MessageRow& row);
nlohmann::json to_json(const EventRow& row);

}  // namespace pw::store
