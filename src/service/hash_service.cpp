// See hash_service.hpp.
#include "service/hash_service.hpp"

#include "policy/fuzzy_inspection.hpp"
#include "scan/attachment_limits.hpp"
#include "scan/attachment_scanner.hpp"
#include "scan/fuzzy_body_text.hpp"
#include "scan/fuzzy_fingerprint.hpp"
#include "scan/hash_block_value.hpp"
#include "service/scope.hpp"
#include "util/sha256.hpp"

namespace pw::service {
namespace {

Outcome<void> admin_only(const Actor& actor) {
  if (!actor.is_admin()) return forbidden("only an administrator may manage the hash block list");
  return {};
}

}  // namespace

Outcome<std::string> message_fingerprint(const std::string& message, const config::Config& config) {
  const auto options = policy::FuzzyOptions::from(config.fuzzy, config.scan);
  const std::string text =
      scan::fuzzy_body_text(message, options.max_text_bytes, options.text_limits);
  if (text.empty()) return invalid("the message has no text body to fingerprint");
  auto fp = scan::fuzzy_fingerprint(text, options.min_shingles);
  if (!fp)
    return invalid("the message's text is too short to fingerprint (fewer than " +
                   std::to_string(options.min_shingles) +
                   " distinct shingles, [fuzzy] min_shingles)");
  return fp->to_string();
}

Outcome<std::vector<store::HashBlock>> list_hashes(const Actor& actor, store::Database& db) {
  if (auto ok = admin_only(actor); !ok) return tl::unexpected(ok.error());
  auto blocks = store::HashBlockRepository(db).list();
  if (!blocks) return from_error(blocks.error(), Failure::Kind::kInternal);
  return std::move(*blocks);
}

Outcome<std::vector<AddedHash>> add_hashes(const Actor& actor, store::Database& db,
                                           const config::Config& config, const HashAddRequest& r) {
  if (auto ok = admin_only(actor); !ok) return tl::unexpected(ok.error());
  const int sources =
      r.sha256.has_value() + r.fuzzy.has_value() + r.file.has_value() + r.message.has_value();
  if (sources != 1) return invalid("give exactly one of sha256, fuzzy, file, message");
  if (r.attachments && !r.message) return invalid("attachments goes with message");
  if (auto ok = scan::validate_hash_note(r.note); !ok) return from_error(ok.error());
  if ((r.file && r.file->size() > static_cast<uint64_t>(config.smtp.max_message_size)) ||
      (r.message && r.message->size() > static_cast<uint64_t>(config.smtp.max_message_size)))
    return invalid("larger than [smtp] max_message_size (" +
                   std::to_string(config.smtp.max_message_size) + " bytes)");

  std::vector<AddedHash> candidates;
  auto candidate = [&](std::string_view kind, std::string value, std::string what) {
    AddedHash added;
    added.block.kind = std::string(kind);
    added.block.value = std::move(value);
    added.what = std::move(what);
    candidates.push_back(std::move(added));
  };
  if (r.sha256) {
    candidate(store::kHashKindSha256, *r.sha256, "");
  } else if (r.fuzzy) {
    candidate(store::kHashKindFuzzy, *r.fuzzy, "");
  } else if (r.file) {
    candidate(store::kHashKindSha256, util::sha256_hex(*r.file), "file " + r.file_name);
  } else {
    auto fp = message_fingerprint(*r.message, config);
    if (!fp) return tl::unexpected(fp.error());
    candidate(store::kHashKindFuzzy, *fp, "body text");
    if (r.attachments) {
      auto report = scan::scan_attachments(*r.message, scan::attachment_limits(config.scan));
      if (report.limit_hit)
        return invalid("the attachments could not all be read: " + report.limit_reason);
      for (const auto& hash : report.hashes)
        candidate(store::kHashKindSha256, hash.sha256, "attachment " + hash.file);
    }
  }
  for (auto& c : candidates) {
    auto canonical = scan::canonical_hash_block(c.block.kind, c.block.value);
    if (!canonical) return from_error(canonical.error());
    c.block.value = std::move(*canonical);
  }

  store::HashBlockRepository repository(db);
  auto added = db.transaction([&]() -> Result<std::vector<AddedHash>> {
    std::vector<AddedHash> out;
    for (const auto& c : candidates) {
      auto block = repository.add(c.block.kind, c.block.value, r.note);
      if (!block) return tl::unexpected(block.error());
      out.push_back({std::move(*block), c.what});
    }
    return out;
  });
  if (!added) {
    const bool exists = added.error().message.find("already") != std::string::npos;
    return from_error(added.error(), exists ? Failure::Kind::kConflict : Failure::Kind::kInvalid);
  }
  return std::move(*added);
}

Outcome<store::HashBlock> remove_hash(const Actor& actor, store::Database& db, int64_t id) {
  if (auto ok = admin_only(actor); !ok) return tl::unexpected(ok.error());
  auto removed = store::HashBlockRepository(db).remove(id);
  if (!removed)
    return from_error(removed.error(), removed.error().message.starts_with("no hash block")
                                           ? Failure::Kind::kNotFound
                                           : Failure::Kind::kInternal);
  return std::move(*removed);
}

}  // namespace pw::service
