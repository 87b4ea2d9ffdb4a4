// The declared table of outcomes: each counter's family, label and value (see outcomes.hpp).
#include "obs/outcomes.hpp"

namespace pw::obs {

namespace {
using O = Outcome;
constexpr std::string_view kMessages = "postwarden_messages_total";
constexpr std::string_view kDsns = "postwarden_dsns_total";
constexpr std::string_view kRelay = "postwarden_relay_refusals_total";
constexpr std::string_view kAuth = "postwarden_auth_failures_total";
constexpr std::string_view kConnection = "postwarden_connection_refusals_total";
constexpr std::string_view kBatv = "postwarden_batv_results_total";
constexpr std::string_view kSpool = "postwarden_spool_errors_total";
}  // namespace

const std::array<OutcomeSpec, kOutcomeCount> kOutcomes = {{
    {O::kMessageAccepted, kMessages, "result", "accepted"},
    {O::kMessageRejected, kMessages, "result", "rejected"},
    {O::kMessageQuarantined, kMessages, "result", "quarantined"},
    {O::kMessageDiscarded, kMessages, "result", "discarded"},
    {O::kDeliveryDeferred, kMessages, "result", "deferred"},
    {O::kDeliveryDelivered, kMessages, "result", "delivered"},
    {O::kDeliveryBounced, kMessages, "result", "bounced"},
    {O::kDeliveryExpired, kMessages, "result", "expired"},
    {O::kDsnSent, kDsns, "result", "sent"},
    {O::kDsnFailed, kDsns, "result", "failed"},
    {O::kRelayUnknownSender, kRelay, "reason", "unknown_sender"},
    {O::kRelayNotOurDomain, kRelay, "reason", "bounce_not_our_domain"},
    {O::kRelayNotNullSender, kRelay, "reason", "bounce_not_null_sender"},
    {O::kAuthInvalidCredentials, kAuth, "reason", "invalid_credentials"},
    {O::kAuthBanned, kAuth, "reason", "banned"},
    {O::kAuthEncryptionRequired, kAuth, "reason", "encryption_required"},
    {O::kAuthUnknownMechanism, kAuth, "reason", "unknown_mechanism"},
    {O::kAuthMalformed, kAuth, "reason", "malformed"},
    {O::kAuthCancelled, kAuth, "reason", "cancelled"},
    {O::kConnectionAuthBan, kConnection, "reason", "auth_ban"},
    {O::kConnectionMaxSessions, kConnection, "reason", "max_sessions"},
    {O::kConnectionReservedForKnown, kConnection, "reason", "reserved_for_known"},
    {O::kConnectionPerIp, kConnection, "reason", "max_sessions_per_ip"},
    {O::kConnectionTlsRefusalsFull, kConnection, "reason", "max_tls_refusals"},
    {O::kBatvValid, kBatv, "result", "valid"},
    {O::kBatvOff, kBatv, "result", "batv_off"},
    {O::kBatvUntagged, kBatv, "result", "untagged"},
    {O::kBatvMalformed, kBatv, "result", "malformed"},
    {O::kBatvUnknownKey, kBatv, "result", "unknown_key"},
    {O::kBatvExpired, kBatv, "result", "expired"},
    {O::kBatvBadHash, kBatv, "result", "bad_hash"},
    {O::kSpoolWrite, kSpool, "operation", "write"},
    {O::kSpoolHold, kSpool, "operation", "hold"},
    {O::kSpoolJournal, kSpool, "operation", "journal"},
    {O::kSpoolUnreadable, kSpool, "operation", "recover_unreadable"},
    {O::kSpoolMissing, kSpool, "operation", "recover_missing"},
}};

const std::array<FamilySpec, 7> kFamilies = {{
    {kMessages,
     "Messages by result: what the sessions decided at the end of DATA, and what delivery did "
     "with the recipients."},
    {kDsns, "Delivery status notifications the queue made for bounced and expired recipients."},
    {kRelay, "Recipients refused because the gateway would have relayed for a stranger."},
    {kAuth, "AUTH attempts that failed, by reason."},
    {kConnection, "Connections refused before the greeting, by reason."},
    {kBatv, "Recipients of bounces on the bounce listener, by the check of their prvs= tag."},
    {kSpool, "Writes to or reads of the spool, quarantine or journal that failed."},
}};

std::optional<std::size_t> check_index(std::string_view name) {
  for (std::size_t i = 0; i < kCheckNames.size(); ++i)
    if (kCheckNames[i] == name) return i;
  return std::nullopt;
}

}  // namespace pw::obs
