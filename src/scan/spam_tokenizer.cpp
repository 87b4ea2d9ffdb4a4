// Tokenizer of the spam model: one pass over the decoded subject and body text, FNV-1a hashing
// of each token into the fixed feature space (no dictionary to keep or bound).
// Trust: the text is hostile but already bounded by MimeTextLimits; tokens are capped here.
#include "scan/spam_tokenizer.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace pw::scan {
namespace {

constexpr std::size_t kMinWord = 2;
constexpr std::size_t kMaxWord = 24;
// Digits-only words longer than this become a length token ("num:9"): prices stay, ids go.
constexpr std::size_t kMaxNumber = 5;
constexpr std::size_t kMaxHostBytes = 253;

struct Fnv {
  std::uint64_t h = 14695981039346656037ull;
  void feed(std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  }
  std::uint32_t feature() const {
    return static_cast<std::uint32_t>((h ^ (h >> 32)) & (kFeatureCount - 1));
  }
};

bool word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '$' ||
         c == '\'' || c >= 0x80;
}

char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string bucket(std::size_t n) {
  if (n == 0) return "0";
  if (n == 1) return "1";
  if (n <= 5) return "2-5";
  if (n <= 20) return "6-20";
  return "21+";
}

class Collector {
 public:
  explicit Collector(bool keep_names, const std::vector<std::uint32_t>* wanted = nullptr)
      : keep_names_(keep_names), wanted_(wanted) {}

  bool full() const { return out_.features.size() >= kMaxTokens; }

  void add(std::string_view prefix, std::string_view token) {
    Fnv f;
    f.feed(prefix);
    f.feed(token);
    put(f.feature(), prefix, token, {});
  }
  void add_pair(std::string_view first, std::string_view second) {
    Fnv f;
    f.feed("b:");
    f.feed(first);
    f.feed(" ");
    f.feed(second);
    put(f.feature(), "b:", first, second);
  }

  TokenSet finish() {
    std::sort(out_.features.begin(), out_.features.end());
    out_.features.erase(std::unique(out_.features.begin(), out_.features.end()),
                        out_.features.end());
    return std::move(out_);
  }

 private:
  void put(std::uint32_t feature, std::string_view prefix, std::string_view a, std::string_view b) {
    if (full()) return;
    out_.features.push_back(feature);
    if (keep_names_ && !out_.names.contains(feature) &&
        (wanted_ == nullptr ||
         std::find(wanted_->begin(), wanted_->end(), feature) != wanted_->end())) {
      std::string name(prefix);
      name += a;
      if (!b.empty()) {
        name += ' ';
        name += b;
      }
      out_.names.emplace(feature, std::move(name));
    }
  }

  bool keep_names_;
  const std::vector<std::uint32_t>* wanted_;
  TokenSet out_;
};

// A UTF-8 sequence at text[i] that is punctuation, a space or a symbol rather than part of a
// word: Latin-1 punctuation and signs (U+0080..U+00BF but the ordinal and micro signs, × and ÷),
// general punctuation and spaces (U+2000..U+206F: dashes, quotes, bullets, ellipsis, thin
// spaces), currency signs, letter-like symbols to dingbats and arrows (U+20A0..U+2BFF), CJK
// punctuation, variation selectors, the byte order mark and emoji (U+1F000 and up). Its length
// in bytes, 0 when it is part of a word (letters of every script stay words).
std::size_t separator_length(std::string_view text, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  auto cont = [&](std::size_t k) {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) & 0x3F : 0;
  };
  if (b0 == 0xC2 || b0 == 0xC3) {
    const std::uint32_t cp = ((b0 & 0x1F) << 6) | cont(1);
    const bool sign = (cp >= 0x80 && cp <= 0xBF && cp != 0xAA && cp != 0xB5 && cp != 0xBA) ||
                      cp == 0xD7 || cp == 0xF7;
    return sign ? 2 : 0;
  }
  if (b0 >= 0xE0 && b0 < 0xF0) {
    const std::uint32_t cp = ((b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2);
    const bool sign = (cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) ||
                      (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF;
    return sign ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 < 0xF8) {
    const std::uint32_t cp = ((b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
    return cp >= 0x1F000 ? 4 : 0;
  }
  return 0;
}

// Calls `on_word(word)` for each lower-cased word of `text` (a shared buffer).
template <class F>
void for_each_word(std::string_view text, F&& on_word) {
  std::string word;
  auto in_word = [&](std::size_t i) {
    const auto c = static_cast<unsigned char>(text[i]);
    return word_byte(c) && (c < 0x80 || separator_length(text, i) == 0);
  };
  for (std::size_t i = 0; i < text.size();) {
    while (i < text.size() && !in_word(i)) {
      const std::size_t skip = static_cast<unsigned char>(text[i]) >= 0x80
                                   ? std::max<std::size_t>(separator_length(text, i), 1)
                                   : 1;
      i += skip;
    }
    const std::size_t start = i;
    while (i < text.size() && in_word(i)) ++i;
    if (i == start) break;
    std::string_view raw = text.substr(start, i - start);
    while (!raw.empty() && raw.back() == '\'') raw.remove_suffix(1);
    while (!raw.empty() && raw.front() == '\'') raw.remove_prefix(1);
    if (raw.size() < kMinWord) continue;
    if (raw.size() > kMaxWord) {
      word = "long:";
      word += lower_ascii(raw.front());
      word += ':';
      word += std::to_string(raw.size() / 10 * 10);
    } else if (std::all_of(raw.begin(), raw.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
               raw.size() > kMaxNumber) {
      word = "num:" + std::to_string(raw.size());
    } else {
      word.assign(raw);
      for (auto& c : word) c = lower_ascii(c);
    }
    if (!on_word(std::string_view(word))) return;
  }
}

void add_host(Collector& c, std::string_view host) {
  if (host.empty()) return;
  c.add("url:", host);
  if (auto domain = last_two_labels(host); !domain.empty() && domain != host) c.add("url:", domain);
}

}  // namespace

std::string_view last_two_labels(std::string_view host) {
  const auto last = host.rfind('.');
  if (last == std::string_view::npos || last == 0) return {};
  const auto before = host.rfind('.', last - 1);
  return before == std::string_view::npos ? host : host.substr(before + 1);
}

std::string url_host(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  std::string_view rest = url.substr(scheme + 3);
  const auto end = rest.find_first_of("/?#\\");
  rest = rest.substr(0, end);
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (!rest.starts_with('[')) {
    if (const auto colon = rest.find(':'); colon != std::string_view::npos)
      rest = rest.substr(0, colon);
  }
  while (!rest.empty() && rest.back() == '.') rest.remove_suffix(1);
  if (rest.empty() || rest.size() > kMaxHostBytes) return {};
  std::string host(rest);
  for (auto& ch : host) ch = lower_ascii(ch);
  return host;
}

std::uint32_t feature_of(std::string_view token) {
  Fnv f;
  f.feed(token);
  return f.feature();
}

std::vector<std::string> url_hosts_in(std::string_view text, std::size_t max_hosts) {
  constexpr std::array<std::string_view, 3> kStarts = {"http://", "https://", "www."};
  constexpr std::size_t kMaxUrl = 2048;
  std::vector<std::string> hosts;
  for (std::size_t i = 0; i < text.size() && hosts.size() < max_hosts;) {
    std::size_t best = std::string_view::npos;
    for (auto s : kStarts) best = std::min(best, text.find(s, i));
    if (best == std::string_view::npos) break;
    std::size_t end = best;
    while (end < text.size() && end - best < kMaxUrl &&
           !std::isspace(static_cast<unsigned char>(text[end])) && text[end] != '"' &&
           text[end] != '>' && text[end] != '<')
      ++end;
    const std::string_view url = text.substr(best, end - best);
    std::string host =
        url.starts_with("www.") ? url_host("http://" + std::string(url)) : url_host(url);
    if (!host.empty()) hosts.push_back(std::move(host));
    i = end > best ? end : best + 1;
  }
  return hosts;
}

namespace {

TokenSet collect(const MessageText& text, Collector& c);

}  // namespace

TokenSet tokenize(const MessageText& text, bool keep_names) {
  Collector c(keep_names);
  return collect(text, c);
}

std::unordered_map<std::uint32_t, std::string> token_names(
    const MessageText& text, const std::vector<std::uint32_t>& wanted) {
  Collector c(true, &wanted);
  return collect(text, c).names;
}

namespace {

TokenSet collect(const MessageText& text, Collector& c) {
  if (!text.has_subject || text.subject.empty()) c.add("meta:", "no_subject");
  std::string previous;
  for_each_word(text.subject, [&](std::string_view w) {
    c.add("s:", w);
    if (!previous.empty()) c.add("s:", previous + " " + std::string(w));
    previous = w;
    return !c.full();
  });
  previous.clear();
  bool have_previous = false;
  for_each_word(text.text, [&](std::string_view w) {
    c.add("", w);
    if (have_previous) c.add_pair(previous, w);
    previous.assign(w);
    have_previous = true;
    return !c.full();
  });
  for (const auto& host : url_hosts_in(text.text, kMaxTokens)) add_host(c, host);
  for (const auto& link : text.links) add_host(c, url_host(link.href));

  if (!text.x_mailer.empty()) {
    std::string mailer;
    for_each_word(text.x_mailer, [&](std::string_view w) {
      mailer = w;
      return false;
    });
    if (!mailer.empty()) c.add("mailer:", mailer);
  }
  if (text.html_parts > 0 && text.plain_parts == 0) c.add("meta:", "html_only");
  if (text.html_parts > 0 && text.plain_parts > 0) c.add("meta:", "plain_and_html");
  if (!text.hidden_text.empty()) c.add("meta:", "hidden_text");
  c.add("meta:images:", bucket(text.images));
  c.add("meta:links:", bucket(text.links.size()));
  c.add("meta:attachments:", bucket(text.attachments));
  return c.finish();
}

}  // namespace

}  // namespace pw::scan
