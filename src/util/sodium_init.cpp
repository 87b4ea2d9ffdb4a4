// One-time libsodium initialisation shared by password hashing and SASL base64.
// A failure is returned as an error to each caller rather than aborting the process.
#include "util/sodium_init.hpp"

#include <sodium.h>

namespace pw::util {

Result<void> ensure_sodium() {
  // sodium_init() is safe to call from several threads; the function-local static runs it once.
  static const int status = sodium_init();
  if (status < 0) return fail("cannot initialise libsodium");
  return {};
}

}  // namespace pw::util
