// Heuristic spam rules (rspamd's symbols). With a model, each rule that fires is a feature of
// the model ("rule:NAME"): its weight is learned from the training folders like any token's, and
// the calibrated probability covers it. The points beside each rule are its fallback when no
// model is loaded (they can make a message unsure, never spam); GTUBE alone is spam by itself.
// No rule looks at Date or Message-ID: the submission server adds them when missing (RFC 6409
// 8.2, 8.3), so their absence is no evidence. Trust: bounded MessageText; every loop is over its
// bounded fields.
#include "scan/spam_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "scan/spam_tokenizer.hpp"
#include "util/ascii_text.hpp"

namespace pw::scan {
namespace {

// SpamAssassin's test string: any message that contains it is spam, whatever else it says.
constexpr std::string_view kGtube =
    "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
constexpr double kGtubeScore = 1000;

constexpr std::size_t kCapsMinLetters = 10;
constexpr double kCapsMinShare = 0.7;
constexpr double kSubjectCapsScore = 15;

constexpr double kShortenerScore = 20;
constexpr std::array<std::string_view, 16> kShorteners = {
    "bit.ly",  "tinyurl.com", "goo.gl",  "t.co",  "ow.ly",  "is.gd", "buff.ly", "rebrand.ly",
    "cutt.ly", "shorturl.at", "tiny.cc", "rb.gy", "bl.ink", "t.ly",  "s.id",    "v.gd"};

constexpr std::size_t kHiddenMinLetters = 20;
constexpr double kHtmlOnlyHiddenScore = 25;

constexpr double kLinkMismatchScore = 30;

constexpr std::size_t kSubjectExclamations = 2;
constexpr std::size_t kBodyExclamations = 10;
constexpr double kExclamationsScore = 10;

constexpr std::size_t kImageOnlyMaxText = 200;
constexpr double kImageOnlyScore = 15;

constexpr double kMimeLimitScore = 20;

constexpr std::size_t kMaxHostsChecked = 200;

std::size_t letters(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](unsigned char c) { return std::isalpha(c) != 0; }));
}

bool subject_mostly_capitals(std::string_view subject) {
  std::size_t alpha = 0;
  std::size_t upper = 0;
  for (unsigned char c : subject) {
    if (std::isalpha(c)) {
      ++alpha;
      if (std::isupper(c)) ++upper;
    }
  }
  return alpha >= kCapsMinLetters && static_cast<double>(upper) >= kCapsMinShare * alpha;
}

// The host an anchor's text shows: a URL, or a bare name such as "www.bank.com" or "bank.com".
std::string shown_host(std::string_view text) {
  auto hosts = url_hosts_in(text, 1);
  if (!hosts.empty()) return hosts.front();
  // A single word with a dot and a letter-only last label.
  std::string_view t = text;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
  if (t.empty() || t.find(' ') != std::string_view::npos) return {};
  const auto dot = t.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 2 > t.size()) return {};
  const auto tld = t.substr(dot + 1);
  if (!std::all_of(tld.begin(), tld.end(), [](unsigned char c) { return std::isalpha(c); }))
    return {};
  if (!std::all_of(t.begin(), t.end(),
                   [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '-'; }))
    return {};
  return util::ascii_lowercase(t);
}

// glibc's memmem (the two-way search): linear in the text. std::string_view::find compares at
// every byte that matches the pattern's first, and GTUBE starts with 'X', the byte that fills
// smtp-source's bodies (and any attacker's): 4.5 % of the submit path's CPU before (issue 17).
bool contains(std::string_view text, std::string_view pattern) {
  return ::memmem(text.data(), text.size(), pattern.data(), pattern.size()) != nullptr;
}

bool is_shortener(std::string_view host) {
  return std::find(kShorteners.begin(), kShorteners.end(), host) != kShorteners.end();
}

}  // namespace

std::vector<std::string_view> spam_rule_names() {
  return {"GTUBE",
          "SUBJECT_ALL_CAPS",
          "URL_SHORTENER",
          "HTML_ONLY_HIDDEN_TEXT",
          "LINK_HOST_MISMATCH",
          "MANY_EXCLAMATIONS",
          "HTML_IMAGE_ONLY",
          "MIME_LIMIT"};
}

std::vector<SpamReason> apply_spam_rules(std::string_view raw, const MessageText& t) {
  std::vector<SpamReason> out;
  // `raw` is the header section alone for a message whose body is in a file (issue 17 item 4):
  // its body is looked at through the decoded text.
  if (contains(raw, kGtube) || contains(t.text, kGtube))
    out.push_back({"GTUBE", "the message contains the GTUBE test string", kGtubeScore});
  if (subject_mostly_capitals(t.subject))
    out.push_back({"SUBJECT_ALL_CAPS", "subject mostly in capitals", kSubjectCapsScore});

  auto hosts = url_hosts_in(t.text, kMaxHostsChecked);
  for (const auto& link : t.links) {
    if (hosts.size() >= kMaxHostsChecked) break;
    if (auto h = url_host(link.href); !h.empty()) hosts.push_back(std::move(h));
  }
  for (const auto& host : hosts) {
    if (is_shortener(host)) {
      out.push_back({"URL_SHORTENER", "link through the URL shortener " + host, kShortenerScore});
      break;
    }
  }
  if (t.html_parts > 0 && t.plain_parts == 0 && letters(t.hidden_text) >= kHiddenMinLetters)
    out.push_back(
        {"HTML_ONLY_HIDDEN_TEXT",
         fmt::format("HTML-only message with {} bytes of hidden text", t.hidden_text.size()),
         kHtmlOnlyHiddenScore});
  for (const auto& link : t.links) {
    const std::string shown = shown_host(link.text);
    if (shown.empty()) continue;
    const std::string target = url_host(link.href);
    if (target.empty()) continue;
    if (last_two_labels(shown) != last_two_labels(target) && shown != target) {
      out.push_back({"LINK_HOST_MISMATCH",
                     fmt::format("link text shows {} but leads to {}", shown, target),
                     kLinkMismatchScore});
      break;
    }
  }
  const auto subject_marks =
      static_cast<std::size_t>(std::count(t.subject.begin(), t.subject.end(), '!'));
  const auto body_marks = static_cast<std::size_t>(std::count(t.text.begin(), t.text.end(), '!'));
  if (subject_marks >= kSubjectExclamations || body_marks >= kBodyExclamations)
    out.push_back({"MANY_EXCLAMATIONS",
                   fmt::format("{} exclamation marks in the subject, {} in the body", subject_marks,
                               body_marks),
                   kExclamationsScore});
  if (t.html_parts > 0 && t.images > 0 && letters(t.text) < kImageOnlyMaxText)
    out.push_back({"HTML_IMAGE_ONLY",
                   fmt::format("{} images and only {} letters of text", t.images, letters(t.text)),
                   kImageOnlyScore});
  if (t.limit_hit)
    out.push_back(
        {"MIME_LIMIT", "not all of the message was read: " + t.limit_reason, kMimeLimitScore});
  return out;
}

}  // namespace pw::scan
