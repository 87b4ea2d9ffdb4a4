// What the SMTP session asks of DKIM: which domain and selector sign a user's mail (F-DKIM-SEL:
// the user's selector, else the domain's default), and the signature of one message, made from
// the body hash computed while DATA was read. Blocking (a stat of the key file, an RSA
// signature of about a millisecond): run it on a worker thread.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dkim/canonical.hpp"
#include "dkim/key_store.hpp"
#include "dkim/signer.hpp"

namespace pw::dkim {

struct SigningChoice {
  std::string domain;    // d=: the sending user's domain
  std::string selector;  // s=
};

// nullopt when neither the user nor the domain names a selector (the mail goes out unsigned).
std::optional<SigningChoice> choose_signing(std::string_view user_domain,
                                            std::string_view user_selector,
                                            std::string_view domain_selector);

struct SignOutcome {
  enum class Status { kSigned, kNoKey, kFailed };
  Status status = Status::kNoKey;
  std::string header;  // the DKIM-Signature field when signed, else ""
  std::string error;   // kFailed: why
  KeyType type = KeyType::kRsa;
};
std::string_view to_string(SignOutcome::Status status);

SignOutcome sign_message(KeyCache& keys, const SignerOptions& options, const SigningChoice& choice,
                         std::string_view message, const BodyHasher::Digests& body_hashes,
                         int64_t now);

// For a message that was not streamed through a BodyHasher (a quarantined message released
// later): hashes the body in one pass, then signs.
SignOutcome sign_whole_message(KeyCache& keys, const SignerOptions& options,
                               const SigningChoice& choice, std::string_view message, int64_t now);

}  // namespace pw::dkim
