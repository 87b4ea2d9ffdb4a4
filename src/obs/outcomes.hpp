// Every outcome the gateway counts (issue 16, item 2), declared once here: the families of
// /metrics, their one label and each label value. Code that refuses, fails or finishes something
// calls count(Outcome::...) — one relaxed atomic add — and /metrics renders this table, so a
// counter cannot exist without being shown, nor be shown without being declared.
// The policy checks' verdicts are a table of their own (check × verdict), because the checks'
// names belong to policy/: kCheckNames lists them, and a unit test holds it equal to the chain.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pw::obs {

enum class Outcome : uint16_t {
  // postwarden_messages_total{result}: the end of DATA, then what delivery did per recipient.
  kMessageAccepted,
  kMessageRejected,
  kMessageQuarantined,
  kMessageDiscarded,
  kDeliveryDeferred,
  kDeliveryDelivered,
  kDeliveryBounced,
  kDeliveryExpired,
  // postwarden_dsns_total{result}
  kDsnSent,
  kDsnFailed,
  // postwarden_relay_refusals_total{reason}
  kRelayUnknownSender,  // RCPT from a client that is neither authenticated nor a known IP
  kRelayNotOurDomain,   // the bounce listener: a recipient outside the node's domains
  kRelayNotNullSender,  // the bounce listener: MAIL FROM other than <>
  // postwarden_auth_failures_total{reason}
  kAuthInvalidCredentials,
  kAuthBanned,  // the brute-force guard refused the attempt or closed the session
  kAuthEncryptionRequired,
  kAuthUnknownMechanism,
  kAuthMalformed,  // undecodable response, bad syntax, foreign authorization identity
  kAuthCancelled,
  // postwarden_connection_refusals_total{reason}
  kConnectionAuthBan,
  kConnectionMaxSessions,
  kConnectionReservedForKnown,
  kConnectionPerIp,
  kConnectionTlsRefusalsFull,  // implicit TLS: closed without a reply, too many refusals at once
  // postwarden_batv_results_total{result}: one per recipient on the bounce listener
  kBatvValid,
  kBatvOff,
  kBatvUntagged,
  kBatvMalformed,
  kBatvUnknownKey,
  kBatvExpired,
  kBatvBadHash,
  // postwarden_spool_errors_total{operation}
  kSpoolWrite,       // a message could not be spooled: 451 to the client
  kSpoolHold,        // a message could not be held in quarantine: 451 to the client
  kSpoolJournal,     // an outcome could not be journaled
  kSpoolUnreadable,  // recovery found a spool file it could not read
  kSpoolMissing,     // recovery found a queued message without its file
  kCount
};

struct OutcomeSpec {
  Outcome outcome;
  std::string_view family;  // metric name
  std::string_view label;   // its one label
  std::string_view value;
};

struct FamilySpec {
  std::string_view name;
  std::string_view help;
};

inline constexpr std::size_t kOutcomeCount = static_cast<std::size_t>(Outcome::kCount);
extern const std::array<OutcomeSpec, kOutcomeCount> kOutcomes;  // in Outcome order
extern const std::array<FamilySpec, 7> kFamilies;               // in the order rendered

// The policy checks, as policy/checks/all_checks.cpp names them, and the verdicts counted for
// each. A pass is not counted: every check runs at every stage and most stages are not its own.
inline constexpr std::array<std::string_view, 14> kCheckNames = {
    "locked",        "reauth",           "sender_address", "connection_limit",
    "ip_reputation", "new_domain",       "message_rate",   "recipient_limit",
    "message_size",  "attachments",      "virus",          "fuzzy_hash",
    "spam",          "external_scanners"};
enum class CheckVerdict : uint8_t {
  kTempfail,
  kReject,
  kQuarantine,
  kDiscard,
  kWouldBlock,      // monitor mode: logged, not enforced
  kSpamNotBlocked,  // confident spam the user's settings let through
  kUnsure,          // the classifier was unsure: delivered, counted apart
  kCount
};
inline constexpr std::array<std::string_view, static_cast<std::size_t>(CheckVerdict::kCount)>
    kCheckVerdictNames = {"tempfail",    "reject",           "quarantine", "discard",
                          "would_block", "spam_not_blocked", "unsure"};
// The index of a check in kCheckNames; nullopt for a name not declared there.
std::optional<std::size_t> check_index(std::string_view name);

}  // namespace pw::obs
