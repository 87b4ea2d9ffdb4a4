// Wiring of F-DKIM into quarantine releases: a released message is signed like an accepted one,
// with the selector of its user (else of its domain) read from a policy snapshot, so mail held
// and released later leaves signed too. Used by the gateway, the CLI and the REST API.
#pragma once
#include <functional>
#include <memory>

#include "dkim/key_store.hpp"
#include "dkim/signer.hpp"
#include "policy/policy_snapshot.hpp"
#include "quarantine/quarantine_store.hpp"

namespace pw::service {

quarantine::ReleaseSigner make_release_signer(
    std::function<std::shared_ptr<const policy::PolicySnapshot>()> snapshot,
    std::shared_ptr<dkim::KeyCache> keys, std::shared_ptr<const dkim::SignerOptions> options);

}  // namespace pw::service
