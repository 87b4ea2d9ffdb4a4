// libsodium must be initialised once before use (CPU feature detection, RNG set-up); every
// module that calls libsodium goes through ensure_sodium() first.
#pragma once
#include "util/result.hpp"

namespace pw::util {

// Runs sodium_init() on first call, from any thread; an error when libsodium cannot start.
Result<void> ensure_sodium();

}  // namespace pw::util
