// Error values that cross module boundaries (STYLE 5): tl::expected<T, Error>.
#pragma once
#include <string>
#include <tl/expected.hpp>

namespace pw {

struct Error {
  std::string message;  // one line, fit to print after "postwarden: "
};

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(std::string message) {
  return tl::unexpected<Error>(Error{std::move(message)});
}

}  // namespace pw
