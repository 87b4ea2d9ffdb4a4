// The order of the policy chain. A new check: its own file in this folder, and one line here.
#include "policy/check.hpp"

namespace pw::policy {
namespace checks {
std::unique_ptr<Check> make_locked_sender();
std::unique_ptr<Check> make_reauth();
std::unique_ptr<Check> make_sender_address();
std::unique_ptr<Check> make_connection_limits();
std::unique_ptr<Check> make_ip_reputation();
std::unique_ptr<Check> make_new_domain();
std::unique_ptr<Check> make_message_rate();
std::unique_ptr<Check> make_recipient_limits();
std::unique_ptr<Check> make_message_size();
std::unique_ptr<Check> make_fuzzy_hash();
std::unique_ptr<Check> make_spam_content();
std::unique_ptr<Check> make_external_scanners();
std::unique_ptr<Check> make_attachments();
std::unique_ptr<Check> make_virus();
}  // namespace checks

std::vector<std::unique_ptr<Check>> all_checks() {
  std::vector<std::unique_ptr<Check>> all;
  all.push_back(checks::make_locked_sender());      // locked users and identities first
  all.push_back(checks::make_reauth());             // IP users and foreign domains
  all.push_back(checks::make_sender_address());     // F-FROM
  all.push_back(checks::make_connection_limits());  // F-LIMITS
  all.push_back(checks::make_ip_reputation());      // F-IPREP
  all.push_back(checks::make_new_domain());         // F-NRD
  all.push_back(checks::make_message_rate());       // F-LIMITS outgoing limit
  all.push_back(checks::make_recipient_limits());   // F-RCPT-DAY, F-INVALID-RCPT
  all.push_back(checks::make_message_size());       // F-SIZE
  all.push_back(checks::make_attachments());        // F-MACRO, F-PUA
  all.push_back(checks::make_virus());              // F-AV (clamd)
  all.push_back(checks::make_fuzzy_hash());         // F-FUZZY
  all.push_back(checks::make_spam_content());       // F-SPAM (GTUBE until issue 5)
  all.push_back(checks::make_external_scanners());  // F-SPAM rspamd, spamd (off by default)
  return all;
}

}  // namespace pw::policy
