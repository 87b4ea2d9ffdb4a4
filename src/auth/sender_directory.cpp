// The sender snapshot: IP ranges by longest prefix, and AUTH logins by lower-cased name.
// Trust: rows come from our own database, but a row that no longer parses is reported, not used.
#include "auth/sender_directory.hpp"

#include <algorithm>

#include "mail/name_syntax.hpp"
#include "store/database.hpp"
#include "store/statement.hpp"
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
  ranges_.emplace(position, std::move(range), std::move(sender));
}

void SenderDirectory::add_login(Login login) {
  login.sender.name = util::ascii_lowercase(login.sender.name);
  auto position = std::upper_bound(
      logins_.begin(), logins_.end(), login.sender.name,
      [](const std::string& name, const Login& entry) { return name < entry.sender.name; });
  logins_.insert(position, std::move(login));
}

Result<std::shared_ptr<const SenderDirectory>> load_sender_directory(store::Database& db) {
  auto stmt = store::query(db,
                           "SELECT u.id, u.kind, u.name, COALESCE(u.password_hash, ''), d.name "
                           "FROM users u JOIN domains d ON d.id = u.domain_id");
  if (!stmt) return tl::unexpected(stmt.error());
  auto directory = std::make_shared<SenderDirectory>();
  while (true) {
    auto row = store::next_row(db, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    mail::Sender sender;
    sender.user_id = store::column_int(stmt->get(), 0);
    auto kind_text = store::column_text(stmt->get(), 1);
    auto kind = mail::parse_sender_kind(kind_text);
    sender.name = store::column_text(stmt->get(), 2);
    sender.domain = store::column_text(stmt->get(), 4);
    if (!kind) return fail("user " + sender.name + " has an unknown kind " + kind_text);
    sender.kind = *kind;
    if (sender.kind == mail::SenderKind::kIp) {
      auto range = util::Cidr::parse(sender.name);
      if (!range) return fail("user " + sender.name + ": " + range.error().message);
      directory->add_ip(*range, std::move(sender));
    } else {
      directory->add_login(Login{std::move(sender), store::column_text(stmt->get(), 3)});
    }
  }
  return std::shared_ptr<const SenderDirectory>(std::move(directory));
}

}  // namespace pw::auth
