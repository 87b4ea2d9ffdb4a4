// Spam decisions as training examples: put (replace, then prune to the bound), read back, count.
#include "store/spam_example_repository.hpp"

#include "store/statement.hpp"

namespace pw::store {
Result<void> SpamExampleRepository::put(const SpamExample& example, std::uint32_t tokenizer,
                                        int64_t max_kept) {
  return db_.transaction([&]() -> Result<void> {
    if (auto r = run(db_, "DELETE FROM spam_examples WHERE source = ?1", {example.source}); !r)
      return tl::unexpected(r.error());
    const std::string features = encode_features(example.features);
    if (auto r =
            run(db_,
                "INSERT INTO spam_examples(source, label, tokenizer, features, decided_by, "
                "decided_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                {example.source, example.spam ? "spam" : "ham", static_cast<int64_t>(tokenizer),
                 features, example.decided_by, example.decided_at});
        !r)
      return tl::unexpected(r.error());
    if (auto r = run(db_,
                     "DELETE FROM spam_examples WHERE id NOT IN (SELECT id FROM spam_examples "
                     "ORDER BY id DESC LIMIT ?1)",
                     {max_kept});
        !r)
      return tl::unexpected(r.error());
    return {};
  });
}

Result<std::vector<SpamExample>> SpamExampleRepository::all(std::uint32_t tokenizer,
                                                            std::uint32_t feature_limit,
                                                            int64_t after_id) {
  auto stmt = query(db_,
                    "SELECT id, source, label, features, decided_by, decided_at FROM "
                    "spam_examples WHERE tokenizer = ?1 AND id > ?2 ORDER BY id",
                    {static_cast<int64_t>(tokenizer), after_id});
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<SpamExample> out;
  while (true) {
    auto row = next_row(db_, stmt->get());
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    SpamExample e;
    e.id = column_int(stmt->get(), 0);
    e.source = column_text(stmt->get(), 1);
    e.spam = column_text(stmt->get(), 2) == "spam";
    auto features = decode_features(column_text(stmt->get(), 3), feature_limit);
    if (!features) return fail(features.error().message + " (" + e.source + ")");
    e.features = std::move(*features);
    e.decided_by = column_text(stmt->get(), 4);
    e.decided_at = column_int(stmt->get(), 5);
    out.push_back(std::move(e));
  }
  return out;
}

Result<SpamExampleCounts> SpamExampleRepository::counts() {
  auto stmt = query(db_,
                    "SELECT COALESCE(SUM(CASE WHEN label = 'spam' THEN 1 ELSE 0 END), 0), "
                    "COALESCE(SUM(CASE WHEN label = 'ham' THEN 1 ELSE 0 END), 0), "
                    "COALESCE(MAX(id), 0) FROM spam_examples");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = next_row(db_, stmt->get());
  if (!row) return tl::unexpected(row.error());
  if (!*row) return SpamExampleCounts{};
  return SpamExampleCounts{column_int(stmt->get(), 0), column_int(stmt->get(), 1),
                           column_int(stmt->get(), 2)};
}

}  // namespace pw::store
