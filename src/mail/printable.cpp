// Printable ASCII for logs and headers.
#include "mail/printable.hpp"

namespace pw::mail {
namespace {

std::string keep(std::string_view text, std::size_t max_length, unsigned char lowest) {
  std::string out;
  const std::string_view cut = text.substr(0, max_length);
  out.reserve(cut.size());
  for (char c : cut) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= lowest && u <= 126 && c != '"' && c != '\\' ? c : '?');
  }
  return out;
}

}  // namespace

std::string printable(std::string_view text, std::size_t max_length) {
  return keep(text, max_length, 33);
}

std::string printable_text(std::string_view text, std::size_t max_length) {
  return keep(text, max_length, 32);
}

}  // namespace pw::mail
