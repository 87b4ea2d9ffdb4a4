// Turns a quarantined message into a stored training example.
// Trust: the message is hostile client bytes; the text extraction is bounded by [scan] limits.
#include "service/learning_service.hpp"

#include "quarantine/quarantine_store.hpp"
#include "scan/attachment_limits.hpp"
#include "scan/mime_text.hpp"
#include "scan/spam_classifier.hpp"
#include "scan/spam_tokenizer.hpp"
#include "service/scope.hpp"
#include "store/spam_example_repository.hpp"
#include "store/statement.hpp"

namespace pw::service {
namespace {

Result<void> learn(store::Database& db, const std::filesystem::path& data_dir,
                   const std::string& id, bool spam, const std::string& decided_by,
                   const config::Config& config) {
  quarantine::QuarantineStore quarantine(db, data_dir);
  auto held = quarantine.read(id);
  if (!held) return tl::unexpected(held.error());
  const auto text = scan::extract_message_text(held->message, scan::mime_text_limits(config.scan));
  store::SpamExample example;
  example.source = id;
  example.spam = spam;
  example.features = scan::message_features(held->message, text);
  example.decided_by = decided_by;
  example.decided_at = store::unix_now();
  return store::SpamExampleRepository(db).put(example, scan::kTokenizerVersion,
                                              config.spam.max_learned);
}

}  // namespace

Outcome<Learned> confirm_spam(const Actor& actor, store::Database& db,
                              const std::filesystem::path& data_dir, const std::string& id,
                              const std::string& decided_by, const config::Config& config) {
  if (auto admin = require_admin(actor); !admin)
    return forbidden("only an administrator may teach the node's spam model");
  quarantine::QuarantineStore quarantine(db, data_dir);
  auto row = quarantine.find(id);
  if (!row) return from_error(row.error(), Failure::Kind::kInternal);
  if (!*row) return not_found("no quarantined message " + id);
  if ((*row)->status == "deleted")
    return refuse(Failure::Kind::kConflict,
                  "quarantined message " + id + " was deleted: its text is gone");
  if (auto learned = learn(db, data_dir, id, true, decided_by, config); !learned)
    return from_error(learned.error(), Failure::Kind::kInternal);
  return Learned{id, "spam", "confirmed " + id + " as spam: the node's model learns from it"};
}

Result<void> learn_from_release(store::Database& db, const std::filesystem::path& data_dir,
                                const std::string& id, const std::string& decided_by,
                                const config::Config& config) {
  return learn(db, data_dir, id, false, decided_by, config);
}

}  // namespace pw::service
