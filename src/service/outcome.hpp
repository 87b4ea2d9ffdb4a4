// The result of a service call: a value, or a failure that says what kind it is, so the CLI
// prints the message and the REST API maps the kind to an HTTP status (400, 403, 404, 409, 500).
#pragma once
#include <string>
#include <tl/expected.hpp>

#include "util/result.hpp"

namespace pw::service {

struct Failure {
  enum class Kind { kInvalid, kForbidden, kNotFound, kConflict, kInternal };
  Kind kind = Kind::kInvalid;
  std::string message;  // one line, fit to print after "postwarden: " or to show in the panel
};

template <class T>
using Outcome = tl::expected<T, Failure>;

inline tl::unexpected<Failure> refuse(Failure::Kind kind, std::string message) {
  return tl::unexpected<Failure>(Failure{kind, std::move(message)});
}
inline tl::unexpected<Failure> invalid(std::string message) {
  return refuse(Failure::Kind::kInvalid, std::move(message));
}
inline tl::unexpected<Failure> forbidden(std::string message = "not permitted for this account") {
  return refuse(Failure::Kind::kForbidden, std::move(message));
}
inline tl::unexpected<Failure> not_found(std::string message) {
  return refuse(Failure::Kind::kNotFound, std::move(message));
}
// A store or repository error, kept as it is (kInvalid unless told otherwise).
inline tl::unexpected<Failure> from_error(const Error& error,
                                          Failure::Kind kind = Failure::Kind::kInvalid) {
  return refuse(kind, error.message);
}

}  // namespace pw::service
