// Where a message in the queue came from, and how its body is encoded: the two enums an envelope
// carries in place of free strings (issue 16). Their text forms are what the spool, the
// quarantine, the archive and the message log store; parse_* are the only way back, so an
// unknown value is refused, never guessed.
#pragma once
#include <optional>
#include <string_view>

#include "mail/sender.hpp"

namespace pw::mail {

enum class Origin {
  kIp,  // accepted from an outgoing user of each kind (F-AUTH-*)
  kUser,
  kDomain,
  kDsn,      // a delivery status notification the gateway wrote (F-DSN)
  kInbound,  // a bounce or reply accepted by the bounce listener (F-BATV)
  kArf,      // an abuse report the gateway wrote (F-REPORT)
  kLock,     // a lock notice the gateway wrote (F-LOCK)
};

std::string_view to_string(Origin origin);  // "ip", "user", "domain", "dsn", "inbound", ...
std::optional<Origin> parse_origin(std::string_view text);
Origin origin_of(SenderKind kind);
// Accepted from an outgoing user (counts towards that user's limits and reputation).
bool from_user(Origin origin);

// The body the client declared (RFC 6152 BODY=8BITMIME; 7BIT when it declared none).
enum class BodyType { k7Bit, k8BitMime };

std::string_view to_string(BodyType body);  // "7BIT", "8BITMIME"
std::optional<BodyType> parse_body_type(std::string_view text);

}  // namespace pw::mail
