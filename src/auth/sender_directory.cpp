// The sender snapshot: IP ranges by longest prefix, and AUTH logins by lower-cased name.
// Trust: rows come from our own database, but a row that no longer parses is reported, not used.
#include "auth/sender_directory.hpp"

#include <algorithm>

#include "mail/name_syntax.hpp"
#include "store/database.hpp"
#include "store/statement.hpp"
#include "store/user_repository.hpp"
#include "util/ascii_text.hpp"

namespace pw::auth {
std::optional<mail::Sender> SenderDirectory::match_ip(const util::IpAddress& address) const {
  for (const auto& [range, sender] : ranges_) {
    if (range.contains(address)) return sender;
  }
  return std::nullopt;
}

std::optional<Login> SenderDirectory::find_login(std::string_view username) const {
  std::string key = util::ascii_lowercase(username);
  mail::SenderKind wanted =
      key.find('@') != std::string::npos ? mail::SenderKind::kUser : mail::SenderKind::kDomain;
  auto found = std::lower_bound(
      logins_.begin(), logins_.end(), key,
      [](const Login& login, const std::string& name) { return login.sender.name < name; });
  if (found == logins_.end() || found->sender.name != key || found->sender.kind != wanted) {
    return std::nullopt;
  }
  return *found;
}

size_t SenderDirectory::size() const { return ranges_.size() + logins_.size(); }

void SenderDirectory::add_ip(util::Cidr range, mail::Sender sender) {
  auto position =
      std::upper_bound(ranges_.begin(), ranges_.end(), range.prefix,
                       [](int prefix, const std::pair<util::Cidr, mail::Sender>& entry) {
                         return prefix > entry.first.prefix;
                       });
  ranges_.emplace(position, range, std::move(sender));
}

void SenderDirectory::add_login(Login login) {
  login.sender.name = util::ascii_lowercase(login.sender.name);
  auto position = std::upper_bound(
      logins_.begin(), logins_.end(), login.sender.name,
      [](const std::string& name, const Login& entry) { return name < entry.sender.name; });
  logins_.insert(position, std::move(login));
}

Result<std::shared_ptr<const SenderDirectory>> load_sender_directory(store::Database& db) {
  auto rows = store::UserRepository(db).senders();
  if (!rows) return tl::unexpected(rows.error());
  auto directory = std::make_shared<SenderDirectory>();
  for (auto& row : *rows) {
    mail::Sender sender;
    sender.user_id = row.id;
    auto kind = mail::parse_sender_kind(row.kind);
    sender.name = std::move(row.name);
    sender.domain = std::move(row.domain);
    if (!kind) return fail("user " + sender.name + " has an unknown kind " + row.kind);
    sender.kind = *kind;
    if (sender.kind == mail::SenderKind::kIp) {
      auto range = util::Cidr::parse(sender.name);
      if (!range) return fail("user " + sender.name + ": " + range.error().message);
      directory->add_ip(*range, std::move(sender));
    } else {
      directory->add_login(Login{std::move(sender), std::move(row.password_hash)});
    }
  }
  return std::shared_ptr<const SenderDirectory>(std::move(directory));
}

}  // namespace pw::auth
