// The release signer moved to the service layer (service/release_signer.hpp), where the REST API
// uses it too; the gateway's wiring keeps its name here.
#pragma once
#include "service/release_signer.hpp"

namespace pw::app {

using service::make_release_signer;

}  // namespace pw::app
