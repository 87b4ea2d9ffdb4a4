#include "service/settings_service.hpp"

#include <algorithm>
#include <cctype>

#include "mail/name_syntax.hpp"
#include "policy/policy_snapshot.hpp"
#include "service/scope.hpp"
#include "store/domain_repository.hpp"
#include "store/node_settings_repository.hpp"
#include "store/statement.hpp"
#include "util/ascii_text.hpp"

namespace pw::service {
namespace {

constexpr std::string_view kAbuseContactKey = "abuse_contact";

Result<std::string> stored_setting(store::Database& db, std::string_view key) {
  return store::NodeSettingsRepository(db).get(key);
}

}  // namespace

const std::vector<std::string>& template_placeholders() {
  static const std::vector<std::string> kPlaceholders = {"{user}",      "{identity}", "{domain}",
                                                         "{reason}",    "{messages}", "{time}",
                                                         "{unlock_at}", "{contact}"};
  return kPlaceholders;
}

// Every {word} of a template must be a placeholder the gateway fills in; "{" alone, or around
// anything but letters, digits and '_', is text.
static Outcome<void> check_placeholders(std::string_view where, const std::string& text) {
  for (size_t open = text.find('{'); open != std::string::npos; open = text.find('{', open + 1)) {
    size_t end = open + 1;
    while (end < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_'))
      ++end;
    if (end == open + 1 || end >= text.size() || text[end] != '}') continue;
    std::string word = text.substr(open, end - open + 1);
    const auto& known = template_placeholders();
    if (std::find(known.begin(), known.end(), word) != known.end()) continue;
    std::string list;
    for (const auto& p : known) list += (list.empty() ? "" : " ") + p;
    return invalid("unknown placeholder " + util::quote_for_message(word.substr(0, 40)) +
                   " in the template " + std::string(where) + "; known: " + list);
  }
  return {};
}

Outcome<void> check_template_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxTemplateName)
    return invalid("a template name is 1-" + std::to_string(kMaxTemplateName) + " characters");
  return {};
}

Outcome<TemplateView> get_template(store::Database& db, const Actor&, const std::string& name) {
  if (auto ok = check_template_name(name); !ok) return tl::unexpected(ok.error());
  auto stored = store::NodeSettingsRepository(db).find_template(name);
  if (!stored) return from_error(stored.error(), Failure::Kind::kInternal);
  if (*stored) return TemplateView{name, (*stored)->subject, (*stored)->body, false};
  // The built-in text stands for any name without a stored template (as the gateway does).
  auto tpl = policy::default_lock_template();
  return TemplateView{name, tpl.subject, tpl.body, true};
}

Outcome<TemplateView> set_template(store::Database& db, const Actor& actor, const std::string& name,
                                   const std::string& subject, const std::string& body) {
  if (auto ok = require_admin(actor); !ok) return tl::unexpected(ok.error());
  if (auto ok = check_template_name(name); !ok) return tl::unexpected(ok.error());
  if (body.empty() || body.size() > kMaxTemplateBody)
    return invalid("a template body is 1 to " + std::to_string(kMaxTemplateBody) + " bytes");
  if (subject.empty() || subject.size() > kMaxTemplateSubject ||
      subject.find_first_of("\r\n") != std::string::npos)
    return invalid("a template subject is one line of 1 to " + std::to_string(kMaxTemplateSubject) +
                   " characters");
  if (auto ok = check_placeholders("subject", subject); !ok) return tl::unexpected(ok.error());
  if (auto ok = check_placeholders("body", body); !ok) return tl::unexpected(ok.error());
  // The running gateway reloads its policy snapshot when the generation moves.
  auto r = store::NodeSettingsRepository(db).save_template(name, subject, body, store::unix_now());
  if (!r) return from_error(r.error(), Failure::Kind::kInternal);
  return TemplateView{name, subject, body, false};
}

Outcome<NodeSettings> get_node_settings(store::Database& db, const Actor& actor,
                                        const std::string& config_abuse_contact) {
  NodeSettings settings;
  if (actor.is_admin()) {
    auto stored = stored_setting(db, kAbuseContactKey);
    if (!stored) return from_error(stored.error(), Failure::Kind::kInternal);
    settings.stored_abuse_contact = *stored;
    settings.abuse_contact = stored->empty() ? config_abuse_contact : *stored;
  } else {
    auto domain = store::DomainRepository(db).find(actor.domain);
    if (!domain || !*domain) return forbidden();
    settings.abuse_contact = (*domain)->admin_contact;
  }
  auto tpl = get_template(db, actor, "lock");
  if (!tpl) return tl::unexpected(tpl.error());
  settings.lock_template = std::move(*tpl);
  return settings;
}

Outcome<std::string> set_abuse_contact(store::Database& db, const Actor& actor,
                                       const std::string& contact) {
  if (auto ok = require_admin(actor); !ok) return tl::unexpected(ok.error());
  if (contact.empty()) {
    auto r = store::NodeSettingsRepository(db).remove(kAbuseContactKey);
    if (!r) return from_error(r.error(), Failure::Kind::kInternal);
    return std::string();
  }
  auto canonical = mail::canonical_email_address(contact);
  if (!canonical) return invalid("abuse contact: " + canonical.error().message);
  auto r = store::NodeSettingsRepository(db).set(kAbuseContactKey, *canonical, store::unix_now());
  if (!r) return from_error(r.error(), Failure::Kind::kInternal);
  return *canonical;
}

}  // namespace pw::service
