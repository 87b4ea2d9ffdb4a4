// The per-user settings registry: definitions, validation and typed values.
#include "policy/user_settings.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "mail/name_syntax.hpp"
#include "policy/identity_method.hpp"
#include "util/ascii_text.hpp"

namespace pw::policy {
namespace {

using T = SettingType;

// Help texts follow the seeds' descriptions of "Outgoing User Settings" (rewritten).
constexpr std::array kDefs = {
    UserSettingDef{"description", T::kText, "", 0, 0, "", "", "Free text shown to administrators."},
    UserSettingDef{"identification_method", T::kChoice, "auth_user", 0, 0,
                   "none|auth_user|envelope_sender|header", "",
                   "How the identity of each message is found: the authentication user, the "
                   "envelope sender (MAIL FROM), identification headers, or none."},
    UserSettingDef{"identity_headers", T::kIdentityRules, "", 0, 0, "", "",
                   "Identification headers for the header method: for each header, the whole "
                   "value or a regular expression whose capture is the identity, and whether the "
                   "header is removed before delivery."},
    UserSettingDef{"automatic_lock", T::kBool, "true", 0, 0, "", "",
                   "Lock the user when it sends more than lock_spam_threshold spam messages in "
                   "lock_window_minutes. Not recommended for an IP used as a smarthost."},
    UserSettingDef{"lock_identities", T::kBool, "false", 0, 0, "", "",
                   "Lock an identity automatically on the same spam count; the user itself can "
                   "go on sending for its other identities."},
    UserSettingDef{"lock_spam_threshold", T::kInt, "5", 1, 10000, "", "messages",
                   "Spam messages tolerated within the window; one more locks."},
    UserSettingDef{"lock_window_minutes", T::kInt, "10", 1, 1440, "", "minutes",
                   "The rolling window in which spam messages are counted for a lock."},
    UserSettingDef{"lock_timeout_minutes", T::kInt, "60", 1, 10080, "", "minutes",
                   "How long an automatic lock of a user or identity lasts before it lifts by "
                   "itself (up to one week)."},
    UserSettingDef{"max_unlocks_by_timeout", T::kInt, "3", 1, 100, "", "unlocks",
                   "How many times a lock lifts by timeout; after that only an administrator "
                   "unlocks."},
    UserSettingDef{"lock_template", T::kText, "lock", 0, 0, "", "",
                   "The template mailed to the sender when its user or identity is locked "
                   "(`postwarden template show lock`)."},
    UserSettingDef{"block_spam", T::kBool, "true", 0, 0, "", "",
                   "Block outgoing mail that the content checks judge to be spam (it goes to the "
                   "outgoing quarantine)."},
    UserSettingDef{"quarantine_response", T::kChoice, "rejected", 0, 0, "rejected|accepted", "",
                   "Reply when a message is quarantined: rejected (550, the sender gets a "
                   "bounce) or accepted (250, the sender notices nothing). Either way the "
                   "message is held."},
    UserSettingDef{"connection_limits", T::kBool, "false", 0, 0, "", "",
                   "Enable the outgoing connection limits per minute, hour, day, week and month "
                   "(sessions that send mail, spam or not)."},
    UserSettingDef{"limit_per_minute", T::kInt, "60", 0, 100000000, "", "connections",
                   "Connections per rolling minute (0 = no limit)."},
    UserSettingDef{"limit_per_hour", T::kInt, "1000", 0, 100000000, "", "connections",
                   "Connections per rolling hour (0 = no limit)."},
    UserSettingDef{"limit_per_day", T::kInt, "10000", 0, 100000000, "", "connections",
                   "Connections per rolling day (0 = no limit)."},
    UserSettingDef{"limit_per_week", T::kInt, "50000", 0, 100000000, "", "connections",
                   "Connections per rolling week (0 = no limit)."},
    UserSettingDef{"limit_per_month", T::kInt, "200000", 0, 100000000, "", "connections",
                   "Connections per rolling 30 days (0 = no limit)."},
    UserSettingDef{"messages_per_hour", T::kInt, "0", 0, 100000000, "", "messages",
                   "Outgoing limit: messages accepted per rolling hour (0 = no limit)."},
    UserSettingDef{"max_recipients_per_day", T::kInt, "0", 0, 100000000, "", "recipients",
                   "Recipients per rolling 24 hours (0 = no limit). Spammers write to many "
                   "addresses in a short time."},
    UserSettingDef{"invalid_recipient_limit", T::kInt, "0", 0, 100000000, "", "recipients",
                   "Bad recipients per rolling 24 hours (bad syntax, 5xx at delivery, domains "
                   "that do not exist) after which the user may not send (0 = no limit)."},
    UserSettingDef{"max_message_size", T::kInt, "0", 0, 1073741824, "", "bytes",
                   "Largest message this user may send (0 = the server's smtp.max_message_size)."},
    UserSettingDef{"require_from_domain", T::kDomain, "", 0, 0, "", "",
                   "Only accept mail whose envelope sender and header From are of this domain "
                   "(or its subdomains). Recommended."},
    UserSettingDef{"valid_sender_required", T::kBool, "false", 0, 0, "", "",
                   "Only accept mail from a real address: valid syntax and a domain that "
                   "resolves (MX or address record), in the envelope and the header From."},
    UserSettingDef{"dkim_selector", T::kText, "", 0, 0, "", "",
                   "DKIM selector for this user's mail (empty = the domain's default)."},
    UserSettingDef{"archive", T::kBool, "false", 0, 0, "", "",
                   "Keep every outgoing message of this user in the archive of the envelope "
                   "sender's domain."},
    UserSettingDef{"block_macros", T::kBool, "false", 0, 0, "", "",
                   "Reject messages with a document attachment that contains any kind of macro "
                   "(OLE2 VBA, OOXML vbaProject.bin, ODF Basic), inside ZIP archives too."},
    UserSettingDef{"block_pua", T::kBool, "false", 0, 0, "", "",
                   "Reject messages with potentially unwanted attachments: executables and "
                   "scripts by content and by name, double extensions, inside archives too."},
    UserSettingDef{"reauth_permitted", T::kBool, "false", 0, 0, "", "",
                   "IP users: may send for other domains' senders (a smarthost for several "
                   "domains). Otherwise mail from a foreign envelope domain is refused."},
    UserSettingDef{"check_ip_reputation", T::kBool, "true", 0, 0, "", "",
                   "Refuse mail at MAIL when the client IP is on the DNS block lists of "
                   "[ip_reputation] (or has a bad local history) up to the threshold."},
    UserSettingDef{"reject_new_domains", T::kBool, "false", 0, 0, "", "",
                   "Reject messages sent from a domain that is newly registered (less than a "
                   "day, by the imported feed), in the envelope sender and the header From."},
    UserSettingDef{"policy_mode", T::kChoice, "enforce", 0, 0, "enforce|monitor", "",
                   "enforce: limits and checks block; monitor: they only log and count what "
                   "they would block, so a new limit can be tried on live traffic."},
    UserSettingDef{"block_viruses", T::kBool, "true", 0, 0, "", "",
                   "Scan outgoing mail with clamd when the server has one ([clamd] socket): an "
                   "infected message is held in quarantine and counts towards the automatic "
                   "lock like spam; when the scan fails the message gets 451 (try again)."},
};

constexpr size_t kMaxText = 1024;

std::optional<int64_t> to_int(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

bool to_bool(std::string_view text) { return text == "true"; }

}  // namespace

std::span<const UserSettingDef> user_setting_defs() { return kDefs; }

const UserSettingDef* find_user_setting(std::string_view key) {
  for (const auto& d : kDefs)
    if (d.key == key) return &d;
  return nullptr;
}

Result<std::string> validate_user_setting(std::string_view key, std::string_view value) {
  const auto* def = find_user_setting(key);
  if (!def) {
    std::string valid;
    for (const auto& d : kDefs) valid += (valid.empty() ? "" : ", ") + std::string(d.key);
    return fail("unknown setting " + util::quote_for_message(key) + "; valid settings: " + valid);
  }
  std::string k(key);
  if (value.empty()) return std::string();
  if (value.size() > kMaxText)
    return fail("value of " + k + " is longer than " + std::to_string(kMaxText) + " characters");
  if (std::any_of(value.begin(), value.end(), [](char c) {
        auto b = static_cast<unsigned char>(c);
        return b < 0x20 || b == 0x7f;
      }))
    return fail("value of " + k + " contains control characters");
  std::string lower = util::ascii_lowercase(value);
  switch (def->type) {
    case T::kBool:
      if (lower == "true" || lower == "on" || lower == "yes" || lower == "1" || lower == "enabled")
        return std::string("true");
      if (lower == "false" || lower == "off" || lower == "no" || lower == "0" ||
          lower == "disabled")
        return std::string("false");
      return fail(k + " is on or off (true/false), not " + util::quote_for_message(value));
    case T::kInt: {
      auto v = to_int(value);
      if (!v || *v < def->min || *v > def->max)
        return fail(k + " must be a whole number from " + std::to_string(def->min) + " to " +
                    std::to_string(def->max) + (def->unit.empty() ? "" : " ") +
                    std::string(def->unit));
      return std::to_string(*v);
    }
    case T::kChoice: {
      std::string_view choices = def->choices;
      while (!choices.empty()) {
        auto bar = choices.find('|');
        if (choices.substr(0, bar) == lower) return lower;
        if (bar == std::string_view::npos) break;
        choices.remove_prefix(bar + 1);
      }
      std::string shown(def->choices);
      std::replace(shown.begin(), shown.end(), '|', ',');
      return fail(k + " is one of " + shown + ", not " + util::quote_for_message(value));
    }
    case T::kDomain: {
      auto domain = mail::canonical_domain_name(value);
      if (!domain) return fail(k + ": " + domain.error().message);
      return *domain;
    }
    case T::kIdentityRules: {
      auto rules = parse_header_rules(value);
      if (!rules) return fail(k + ": " + rules.error().message);
      return format_header_rules(*rules);
    }
    case T::kText:
      return std::string(value);
  }
  return std::string(value);
}

UserSettings UserSettings::from(const std::map<std::string, std::string>& stored) {
  auto get = [&](std::string_view key) -> std::string {
    auto it = stored.find(std::string(key));
    if (it != stored.end() && !it->second.empty()) {
      auto valid = validate_user_setting(key, it->second);
      if (valid && !valid->empty()) return *valid;
    }
    return std::string(find_user_setting(key)->default_value);
  };
  auto num = [&](std::string_view key) { return to_int(get(key)).value_or(0); };
  UserSettings s;
  s.description = get("description");
  s.identification_method = get("identification_method");
  s.identity_headers = get("identity_headers");
  s.automatic_lock = to_bool(get("automatic_lock"));
  s.lock_identities = to_bool(get("lock_identities"));
  s.lock_spam_threshold = num("lock_spam_threshold");
  s.lock_window_minutes = num("lock_window_minutes");
  s.lock_timeout_minutes = num("lock_timeout_minutes");
  s.max_unlocks_by_timeout = num("max_unlocks_by_timeout");
  s.lock_template = get("lock_template");
  s.block_spam = to_bool(get("block_spam"));
  s.quarantine_response = get("quarantine_response");
  s.connection_limits = to_bool(get("connection_limits"));
  s.limit_per_minute = num("limit_per_minute");
  s.limit_per_hour = num("limit_per_hour");
  s.limit_per_day = num("limit_per_day");
  s.limit_per_week = num("limit_per_week");
  s.limit_per_month = num("limit_per_month");
  s.messages_per_hour = num("messages_per_hour");
  s.max_recipients_per_day = num("max_recipients_per_day");
  s.invalid_recipient_limit = num("invalid_recipient_limit");
  s.max_message_size = num("max_message_size");
  s.require_from_domain = get("require_from_domain");
  s.valid_sender_required = to_bool(get("valid_sender_required"));
  s.dkim_selector = get("dkim_selector");
  s.archive = to_bool(get("archive"));
  s.block_macros = to_bool(get("block_macros"));
  s.block_pua = to_bool(get("block_pua"));
  s.reauth_permitted = to_bool(get("reauth_permitted"));
  s.policy_mode = get("policy_mode");
  s.block_viruses = to_bool(get("block_viruses"));
  s.check_ip_reputation = to_bool(get("check_ip_reputation"));
  s.reject_new_domains = to_bool(get("reject_new_domains"));
  return s;
}

std::vector<SettingValue> effective_settings(const std::map<std::string, std::string>& stored) {
  std::vector<SettingValue> out;
  for (const auto& d : kDefs) {
    auto it = stored.find(std::string(d.key));
    if (it != stored.end() && !it->second.empty()) {
      auto valid = validate_user_setting(d.key, it->second);
      if (valid && !valid->empty()) {
        out.push_back({&d, *valid, *valid == d.default_value});
        continue;
      }
    }
    out.push_back({&d, std::string(d.default_value), true});
  }
  return out;
}

}  // namespace pw::policy
