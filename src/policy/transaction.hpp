// What the policy checks see of one SMTP transaction, stage by stage. Filled by the SMTP session;
// checks only read it (they decide, the session acts).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "mail/sender.hpp"
#include "net/dnsbl_client.hpp"
#include "policy/counter_store.hpp"
#include "policy/fuzzy_result.hpp"
#include "policy/lock_book.hpp"
#include "policy/policy_snapshot.hpp"
#include "scan/attachment_scanner.hpp"
#include "scan/clamd_client.hpp"
#include "scan/external_result.hpp"
#include "scan/spam_classifier.hpp"

namespace pw::policy {

enum class Stage { kConnect, kMail, kRcpt, kData };
std::string_view to_string(Stage stage);

struct Transaction {
  Stage stage = Stage::kConnect;
  int64_t now = 0;
  std::string client_ip;
  mail::Sender sender;         // the outgoing user (checks run only when there is one)
  bool authenticated = false;  // SMTP AUTH (else an IP user)
  const UserSettings* settings = nullptr;
  const DomainInfo* domain = nullptr;  // the user's domain
  const PolicySnapshot* snapshot = nullptr;
  int64_t server_max_message_size = 0;

  // MAIL
  std::string mail_from;  // "" = the null sender
  std::optional<uint64_t> declared_size;
  bool session_counted = false;            // this session already counted as a connection
  std::optional<bool> mail_from_resolves;  // filled when valid_sender_required
  // F-IPREP: the [ip_reputation] settings when the user checks IP reputation (null: off), and
  // the block-list answers for client_ip (looked up before the MAIL checks when zones are set).
  const config::IpReputationConfig* ip_reputation_config = nullptr;
  std::optional<net::DnsblResult> ip_reputation;

  // RCPT: the accepted recipients so far, and the one being checked.
  std::vector<std::string> recipients;
  std::string rcpt;

  // DATA
  std::string_view message;  // without our Received header
  uint64_t size = 0;
  std::string header_from;  // the address of the From header ("" when none or unreadable)
  bool header_from_parsed = false;
  std::optional<bool> header_from_resolves;
  // F-MACRO, F-PUA: the attachment scan, when the user blocks macros or unwanted files.
  std::optional<scan::AttachmentReport> attachments;
  // F-SPAM external scanners ([rspamd], [spamd]): their answers, when one is configured.
  std::optional<scan::ExternalScans> external;
  // F-AV: clamd's verdict, when [clamd] socket is set and the user blocks viruses (a failed scan
  // with on_failure=accept is logged and left out).
  std::optional<scan::VirusScan> virus;
  // F-FUZZY: fingerprint, hash block list hit and outbreak count ([fuzzy] enabled).
  std::optional<FuzzyResult> fuzzy;
  // F-SPAM: the classifier's verdict (score, threshold, reasons), whenever the sender has
  // settings; nullopt when no classifier runs (unit tests of other checks).
  std::optional<scan::SpamReport> spam;

  // The identity of the message ("" = none); known at MAIL for the auth user and envelope
  // methods, at DATA for header rules.
  std::string identity;

  std::string user_subject() const { return policy::user_subject(sender.name); }
  std::string identity_subject() const { return policy::identity_subject(sender.name, identity); }
};

// Read-only services the checks may use.
struct CheckContext {
  CounterStore& counters;
  LockBook& locks;
};

}  // namespace pw::policy
