// Append-only journal of final recipient outcomes, replayed into the message log at start.
// Format: one JSON object per line in spool/journal/outcomes-<sequence>.jsonl.
#include "queue/outcome_journal.hpp"

#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

namespace pw::queue {
namespace {

constexpr std::string_view kPrefix = "outcomes-";
constexpr std::string_view kSuffix = ".jsonl";

// The sequence number of a journal file name, or 0 when it is not one.
uint64_t sequence_of(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) return 0;
  std::string digits = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  if (digits.empty() || digits.size() > 18 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return 0;
  return std::stoull(digits);
}

}  // namespace

std::vector<std::filesystem::path> OutcomeJournal::files(const std::filesystem::path& dir) {
  std::vector<std::pair<uint64_t, std::filesystem::path>> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (uint64_t n = sequence_of(entry.path())) found.emplace_back(n, entry.path());
  std::sort(found.begin(), found.end());
  std::vector<std::filesystem::path> paths;
  paths.reserve(found.size());
  for (auto& [n, path] : found) paths.push_back(std::move(path));
  return paths;
}

std::vector<store::RecipientUpdate> OutcomeJournal::read_all(const std::filesystem::path& dir) {
  std::vector<store::RecipientUpdate> updates;
  for (const auto& path : files(dir)) {
    std::ifstream in(path, std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) continue;  // cut short by a crash
      try {
        auto status = store::parse_delivery_status(j.at("status").get<std::string>());
        if (!status) continue;
        store::RecipientUpdate u;
        u.message_id = j.at("id").get<std::string>();
        u.rcpt = j.at("rcpt").get<std::string>();
        u.status = *status;
        u.attempts = j.at("attempts").get<int64_t>();
        u.next_attempt_at = j.at("next").get<int64_t>();
        u.reply = j.at("reply").get<std::string>();
        u.remote_host = j.at("remote").get<std::string>();
        u.event = j.at("event").get<std::string>();
        updates.push_back(std::move(u));
      } catch (const nlohmann::json::exception&) {
        continue;
      }
    }
  }
  return updates;
}

Result<OutcomeJournal> OutcomeJournal::open(const std::filesystem::path& dir,
                                            uint64_t rotate_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail("cannot create " + dir.string() + ": " + ec.message());
  OutcomeJournal journal;
  journal.dir_ = dir;
  journal.rotate_bytes_ = std::max<uint64_t>(rotate_bytes, 4096);
  auto existing = files(dir);
  journal.sequence_ = existing.empty() ? 0 : sequence_of(existing.back());
  if (auto r = journal.open_next(); !r) return tl::unexpected(r.error());
  return journal;
}

Result<void> OutcomeJournal::open_next() {
  ++sequence_;
  path_ = dir_ / fmt::format("{}{:012}{}", kPrefix, sequence_, kSuffix);
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return fail("cannot open " + path_.string() + ": " + std::strerror(errno));
  fd_ = util::UniqueFd(fd);
  size_ = 0;
  return {};
}

Result<std::filesystem::path> OutcomeJournal::append(const store::RecipientUpdate& u) {
  nlohmann::json j = {{"id", u.message_id},
                      {"rcpt", u.rcpt},
                      {"status", std::string(store::to_string(u.status))},
                      {"attempts", u.attempts},
                      {"next", u.next_attempt_at},
                      {"reply", u.reply},
                      {"remote", u.remote_host},
                      {"event", u.event}};
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_.get(), data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write to " + path_.string() + ": " + std::strerror(errno));
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  size_ += line.size();
  if (size_ < rotate_bytes_) return std::filesystem::path();
  auto full = path_;
  if (auto r = open_next(); !r) return tl::unexpected(r.error());
  return full;
}

}  // namespace pw::queue
