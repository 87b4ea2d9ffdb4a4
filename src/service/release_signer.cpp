// See release_signer.hpp.
#include "service/release_signer.hpp"

#include <spdlog/spdlog.h>

#include "dkim/message_signer.hpp"
#include "store/statement.hpp"

namespace pw::service {

quarantine::ReleaseSigner make_release_signer(
    std::function<std::shared_ptr<const policy::PolicySnapshot>()> snapshot,
    std::shared_ptr<dkim::KeyCache> keys, std::shared_ptr<const dkim::SignerOptions> options) {
  return [snapshot = std::move(snapshot), keys = std::move(keys), options = std::move(options)](
             const mail::Envelope& original, std::string_view message) -> std::string {
    auto snap = snapshot();
    if (!snap || !keys || !options) return "";
    const policy::DomainInfo* domain = snap->domain(original.domain);
    auto choice =
        dkim::choose_signing(original.domain, snap->settings(original.sender).dkim_selector,
                             domain ? std::string_view(domain->dkim_selector) : std::string_view());
    if (!choice) return "";
    auto outcome = dkim::sign_whole_message(*keys, *options, *choice, message, store::unix_now());
    if (outcome.status != dkim::SignOutcome::Status::kSigned)
      spdlog::warn("event=dkim_unsigned release_of={} domain={} selector={} reason={} error=\"{}\"",
                   original.id, choice->domain, choice->selector, dkim::to_string(outcome.status),
                   outcome.error);
    return outcome.header;
  };
}

}  // namespace pw::service
