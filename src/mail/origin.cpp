// Text forms of an envelope's origin and body type (see the header).
#include "mail/origin.hpp"

#include <array>
#include <utility>

namespace pw::mail {
namespace {

constexpr std::array<std::pair<Origin, std::string_view>, 7> kOrigins = {{
    {Origin::kIp, "ip"},
    {Origin::kUser, "user"},
    {Origin::kDomain, "domain"},
    {Origin::kDsn, "dsn"},
    {Origin::kInbound, "inbound"},
    {Origin::kArf, "arf"},
    {Origin::kLock, "lock"},
}};

}  // namespace

std::string_view to_string(Origin origin) {
  for (const auto& [value, text] : kOrigins)
    if (value == origin) return text;
  return "ip";
}

std::optional<Origin> parse_origin(std::string_view text) {
  for (const auto& [value, name] : kOrigins)
    if (name == text) return value;
  return std::nullopt;
}

Origin origin_of(SenderKind kind) {
  switch (kind) {
    case SenderKind::kIp:
      return Origin::kIp;
    case SenderKind::kUser:
      return Origin::kUser;
    case SenderKind::kDomain:
      return Origin::kDomain;
  }
  return Origin::kIp;
}

bool from_user(Origin origin) {
  return origin == Origin::kIp || origin == Origin::kUser || origin == Origin::kDomain;
}

std::string_view to_string(BodyType body) {
  return body == BodyType::k8BitMime ? "8BITMIME" : "7BIT";
}

std::optional<BodyType> parse_body_type(std::string_view text) {
  if (text == "7BIT") return BodyType::k7Bit;
  if (text == "8BITMIME") return BodyType::k8BitMime;
  return std::nullopt;
}

}  // namespace pw::mail
