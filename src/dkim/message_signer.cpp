// See message_signer.hpp.
#include "dkim/message_signer.hpp"

namespace pw::dkim {

std::optional<SigningChoice> choose_signing(std::string_view user_domain,
                                            std::string_view user_selector,
                                            std::string_view domain_selector) {
  std::string_view selector = user_selector.empty() ? domain_selector : user_selector;
  if (selector.empty() || user_domain.empty()) return std::nullopt;
  return SigningChoice{std::string(user_domain), std::string(selector)};
}

std::string_view to_string(SignOutcome::Status status) {
  switch (status) {
    case SignOutcome::Status::kSigned:
      return "signed";
    case SignOutcome::Status::kNoKey:
      return "no_key";
    case SignOutcome::Status::kFailed:
      return "failed";
  }
  return "failed";
}

SignOutcome sign_message(KeyCache& keys, const SignerOptions& options, const SigningChoice& choice,
                         std::string_view message, const BodyHasher::Digests& body_hashes,
                         int64_t now) {
  SignOutcome outcome;
  auto key = keys.get(choice.domain, choice.selector);
  if (!key) return outcome;
  outcome.type = key->type();
  SignRequest request{choice.domain, choice.selector, now,
                      body_hashes.of(options.canonicalization.body)};
  auto header = sign_headers(*key, header_section(message), request, options);
  if (!header) {
    outcome.status = SignOutcome::Status::kFailed;
    outcome.error = header.error().message;
    return outcome;
  }
  outcome.status = SignOutcome::Status::kSigned;
  outcome.header = std::move(*header);
  return outcome;
}

SignOutcome sign_whole_message(KeyCache& keys, const SignerOptions& options,
                               const SigningChoice& choice, std::string_view message, int64_t now) {
  const Canon body = options.canonicalization.body;
  BodyHasher hasher(body == Canon::kRelaxed, body == Canon::kSimple);
  hasher.update(message);
  return sign_message(keys, options, choice, message, hasher.finish(), now);
}

}  // namespace pw::dkim
