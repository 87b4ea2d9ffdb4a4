// Node-wide settings an administrator changes at run time (F-PANEL): the abuse contact (stored in
// node_settings, used by a running gateway over the config file's [policy] abuse_contact) and the
// mail templates (F-LOCK-TEMPLATE: the lock template and its placeholders). Reading is open to a
// domain admin (its abuse contact is its domain's admin_contact); changing is the node admin's.
// Trust: values come from the CLI or the API; each is validated here.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "service/actor.hpp"
#include "service/outcome.hpp"
#include "store/database.hpp"

namespace pw::service {

inline constexpr size_t kMaxTemplateName = 64;
inline constexpr size_t kMaxTemplateBody = 65536;
inline constexpr size_t kMaxTemplateSubject = 200;

struct TemplateView {
  std::string name;
  std::string subject;
  std::string body;
  bool built_in = false;  // none stored: the built-in text
};
// The placeholders a template may use ({user}, {identity}, ...).
const std::vector<std::string>& template_placeholders();

Outcome<void> check_template_name(const std::string& name);
Outcome<TemplateView> get_template(store::Database& db, const Actor& actor,
                                   const std::string& name);
Outcome<TemplateView> set_template(store::Database& db, const Actor& actor, const std::string& name,
                                   const std::string& subject, const std::string& body);

struct NodeSettings {
  std::string abuse_contact;         // in force: stored, else the config file's
  std::string stored_abuse_contact;  // "" = none stored
  TemplateView lock_template;
};
// `config_abuse_contact`: the config file's [policy] abuse_contact. A domain admin's abuse
// contact is its domain's admin_contact.
Outcome<NodeSettings> get_node_settings(store::Database& db, const Actor& actor,
                                        const std::string& config_abuse_contact);
// An e-mail address, or "" to fall back to the config file's. Admin only.
Outcome<std::string> set_abuse_contact(store::Database& db, const Actor& actor,
                                       const std::string& contact);

}  // namespace pw::service
