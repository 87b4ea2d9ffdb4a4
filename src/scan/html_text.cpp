// HTML to text: a single forward scan over tags, comments and character references.
// Trust: hostile bytes; the element stack is capped, every loop advances through the input.
//
// Why hand-written: libxml2's HTML parser builds a whole tree and has no notion of "visible to
// the reader" (inline styles, colours); spam filters need only the text, the links and a few
// hiding tricks, which one linear pass gives with bounded memory.
#include "scan/html_text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <optional>
#include <utility>

#include "util/ascii_text.hpp"

namespace pw::scan {
namespace {

// Elements deeper than this are still scanned, but no longer tracked for hiding styles.
constexpr std::size_t kMaxElementDepth = 256;
// Anchor text kept per link.
constexpr std::size_t kMaxLinkTextBytes = 512;
constexpr std::size_t kMaxHrefBytes = 2048;

struct Entity {
  std::string_view name;
  unsigned long code_point;
};
constexpr std::array kEntities = {
    Entity{"amp", '&'},       Entity{"lt", '<'},       Entity{"gt", '>'},
    Entity{"quot", '"'},      Entity{"apos", '\''},    Entity{"nbsp", 0xA0},
    Entity{"copy", 0xA9},     Entity{"reg", 0xAE},     Entity{"trade", 0x2122},
    Entity{"euro", 0x20AC},   Entity{"pound", 0xA3},   Entity{"yen", 0xA5},
    Entity{"cent", 0xA2},     Entity{"middot", 0xB7},  Entity{"bull", 0x2022},
    Entity{"hellip", 0x2026}, Entity{"mdash", 0x2014}, Entity{"ndash", 0x2013},
    Entity{"laquo", 0xAB},    Entity{"raquo", 0xBB},   Entity{"lsquo", 0x2018},
    Entity{"rsquo", 0x2019},  Entity{"ldquo", 0x201C}, Entity{"rdquo", 0x201D},
    Entity{"eacute", 0xE9},   Entity{"egrave", 0xE8},  Entity{"agrave", 0xE0},
    Entity{"auml", 0xE4},     Entity{"ouml", 0xF6},    Entity{"uuml", 0xFC},
    Entity{"szlig", 0xDF},    Entity{"ccedil", 0xE7},  Entity{"shy", 0xAD},
    Entity{"times", 0xD7},    Entity{"deg", 0xB0},
};

// Block-level elements: their start and end separate words.
constexpr std::array<std::string_view, 24> kBlockElements = {
    "br", "p",     "div",    "tr",         "td",  "th", "li", "ul",
    "ol", "table", "h1",     "h2",         "h3",  "h4", "h5", "h6",
    "hr", "title", "center", "blockquote", "pre", "dd", "dt", "section"};
constexpr std::array<std::string_view, 10> kVoidElements = {"br",   "img",  "hr",   "meta", "input",
                                                            "link", "area", "base", "col",  "wbr"};

std::string lower(std::string_view s) { return util::ascii_lowercase(s); }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// Decodes one character reference at html[at] == '&'; returns the bytes consumed (0: not one).
std::size_t decode_reference(std::string_view html, std::size_t at, std::string& out) {
  constexpr std::size_t kMaxReference = 12;
  std::size_t i = at + 1;
  if (i < html.size() && html[i] == '#') {
    ++i;
    const bool hex = i < html.size() && (html[i] == 'x' || html[i] == 'X');
    if (hex) ++i;
    unsigned long value = 0;
    std::size_t digits = 0;
    while (i < html.size() && digits < 8) {
      const char c = html[i];
      int d = -1;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (hex && c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
      if (d < 0) break;
      value = value * (hex ? 16 : 10) + static_cast<unsigned long>(d);
      ++i;
      ++digits;
    }
    if (digits == 0) return 0;
    if (i < html.size() && html[i] == ';') ++i;
    append_utf8(out, value == 0 ? 0xFFFD : value);
    return i - at;
  }
  std::size_t end = i;
  while (end < html.size() && end - i < kMaxReference &&
         std::isalnum(static_cast<unsigned char>(html[end])))
    ++end;
  const std::string_view name = html.substr(i, end - i);
  for (const auto& e : kEntities) {
    if (e.name == name ||
        (name.size() == e.name.size() && lower(name) == e.name && e.code_point < 0x80)) {
      append_utf8(out, e.code_point);
      if (end < html.size() && html[end] == ';') ++end;
      return end - at;
    }
  }
  return 0;
}

std::string decode_entities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] == '&') {
      if (std::size_t used = decode_reference(s, i, out)) {
        i += used;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

struct Tag {
  std::string name;  // lower-case, without '/'
  bool closing = false;
  std::vector<std::pair<std::string, std::string>> attributes;  // lower-case names

  std::optional<std::string> attribute(std::string_view wanted) const {
    for (const auto& [n, v] : attributes)
      if (n == wanted) return v;
    return std::nullopt;
  }
};

// Parses the tag starting at html[at] == '<'; sets `end` to the index after '>' (or the end).
Tag parse_tag(std::string_view html, std::size_t at, std::size_t& end) {
  constexpr std::size_t kMaxAttributes = 64;
  Tag tag;
  std::size_t i = at + 1;
  if (i < html.size() && html[i] == '/') {
    tag.closing = true;
    ++i;
  }
  const std::size_t name_start = i;
  while (i < html.size() && !is_space(html[i]) && html[i] != '>' && html[i] != '/') ++i;
  tag.name = lower(html.substr(name_start, std::min<std::size_t>(i - name_start, 32)));
  while (i < html.size() && html[i] != '>') {
    if (is_space(html[i]) || html[i] == '/') {
      ++i;
      continue;
    }
    const std::size_t n0 = i;
    while (i < html.size() && !is_space(html[i]) && html[i] != '=' && html[i] != '>') ++i;
    std::string name = lower(html.substr(n0, std::min<std::size_t>(i - n0, 64)));
    while (i < html.size() && is_space(html[i])) ++i;
    std::string value;
    if (i < html.size() && html[i] == '=') {
      ++i;
      while (i < html.size() && is_space(html[i])) ++i;
      if (i < html.size() && (html[i] == '"' || html[i] == '\'')) {
        const char quote = html[i++];
        const std::size_t v0 = i;
        while (i < html.size() && html[i] != quote) ++i;
        value = decode_entities(html.substr(v0, std::min<std::size_t>(i - v0, kMaxHrefBytes)));
        if (i < html.size()) ++i;
      } else {
        const std::size_t v0 = i;
        while (i < html.size() && !is_space(html[i]) && html[i] != '>') ++i;
        value = decode_entities(html.substr(v0, std::min<std::size_t>(i - v0, kMaxHrefBytes)));
      }
    }
    if (n0 == i) {
      ++i;  // a stray character such as '=' with no name
      continue;
    }
    if (tag.attributes.size() < kMaxAttributes)
      tag.attributes.emplace_back(std::move(name), std::move(value));
  }
  end = i < html.size() ? i + 1 : html.size();
  return tag;
}

std::string normalise_colour(std::string_view c) {
  std::string out;
  for (char ch : c)
    if (!is_space(ch)) out += util::ascii_lower(ch);
  if (out == "white") return "#ffffff";
  if (out == "black") return "#000000";
  if (out == "#fff") return "#ffffff";
  if (out == "#000") return "#000000";
  return out;
}

// The value of `property` in an inline style ("color: red; font-size:0"), lower-case.
std::optional<std::string> style_property(std::string_view style, std::string_view property) {
  const std::string s = lower(style);
  std::size_t at = 0;
  while (at < s.size()) {
    std::size_t semi = s.find(';', at);
    if (semi == std::string::npos) semi = s.size();
    const std::string_view decl = std::string_view(s).substr(at, semi - at);
    const auto colon = decl.find(':');
    if (colon != std::string_view::npos) {
      std::string_view name = decl.substr(0, colon);
      while (!name.empty() && is_space(name.front())) name.remove_prefix(1);
      while (!name.empty() && is_space(name.back())) name.remove_suffix(1);
      if (name == property) {
        std::string_view value = decl.substr(colon + 1);
        while (!value.empty() && is_space(value.front())) value.remove_prefix(1);
        while (!value.empty() && is_space(value.back())) value.remove_suffix(1);
        return std::string(value);
      }
    }
    at = semi + 1;
  }
  return std::nullopt;
}

bool tiny_font_size(std::string_view value) {
  // "0", "0px", "1px", "0pt", "0em", "0.1px": anything below 2 px is unreadable.
  std::size_t i = 0;
  double number = 0;
  bool digits = false;
  while (i < value.size() && value[i] >= '0' && value[i] <= '9') {
    number = number * 10 + (value[i] - '0');
    digits = true;
    ++i;
  }
  if (!digits) return false;
  const std::string_view unit = value.substr(i);
  if (number == 0) return true;
  return number < 2 && (unit.empty() || unit.starts_with("px") || unit.starts_with("pt") ||
                        unit.starts_with("."));
}

struct Element {
  std::string name;
  bool hidden = false;
  std::string colour;      // text colour in force ("" = inherited default)
  std::string background;  // background colour in force
};

class Converter {
 public:
  explicit Converter(std::string_view html) : html_(html) {
    stack_.push_back({"#root", false, "", ""});
  }

  HtmlText run() {
    std::size_t i = 0;
    while (i < html_.size()) {
      const char c = html_[i];
      if (c == '<') {
        i = on_markup(i);
      } else if (c == '&') {
        std::string decoded;
        if (std::size_t used = decode_reference(html_, i, decoded)) {
          emit(decoded);
          i += used;
        } else {
          emit("&");
          ++i;
        }
      } else {
        std::size_t end = i;
        while (end < html_.size() && html_[end] != '<' && html_[end] != '&') ++end;
        emit(html_.substr(i, end - i));
        i = end;
      }
    }
    finish_link();
    return std::move(out_);
  }

 private:
  // Returns the index after the markup that starts at html_[at] == '<'.
  std::size_t on_markup(std::size_t at) {
    if (html_.substr(at, 4) == "<!--") {
      const auto end = html_.find("-->", at + 4);
      return end == std::string_view::npos ? html_.size() : end + 3;
    }
    const char next = at + 1 < html_.size() ? html_[at + 1] : '\0';
    if (next == '!' || next == '?') {
      const auto end = html_.find('>', at);
      return end == std::string_view::npos ? html_.size() : end + 1;
    }
    if (!(std::isalpha(static_cast<unsigned char>(next)) || next == '/')) {
      emit("<");  // "a < b": not a tag
      return at + 1;
    }
    std::size_t end = at;
    Tag tag = parse_tag(html_, at, end);
    if (!tag.closing && (tag.name == "script" || tag.name == "style"))
      return skip_raw(end, tag.name);
    if (contains(kBlockElements, tag.name)) separate();
    if (tag.closing) {
      close(tag.name);
    } else {
      open(tag);
    }
    return end;
  }

  std::size_t skip_raw(std::size_t from, const std::string& name) {
    const std::string close_tag = "</" + name;
    for (std::size_t i = from; i < html_.size(); ++i) {
      if (html_[i] == '<' && i + close_tag.size() <= html_.size() &&
          lower(html_.substr(i, close_tag.size())) == close_tag) {
        const auto end = html_.find('>', i);
        return end == std::string_view::npos ? html_.size() : end + 1;
      }
    }
    return html_.size();
  }

  void open(const Tag& tag) {
    if (tag.name == "img") ++out_.images;
    if (tag.name == "a") {
      finish_link();
      if (auto href = tag.attribute("href")) {
        in_link_ = true;
        link_ = {"", href->substr(0, kMaxHrefBytes)};
      }
    }
    Element e = {tag.name, stack_.back().hidden, stack_.back().colour, stack_.back().background};
    if (auto style = tag.attribute("style")) {
      if (auto v = style_property(*style, "display"); v && v->starts_with("none")) e.hidden = true;
      if (auto v = style_property(*style, "visibility"); v && v->starts_with("hidden"))
        e.hidden = true;
      if (auto v = style_property(*style, "font-size"); v && tiny_font_size(*v)) e.hidden = true;
      if (auto v = style_property(*style, "color")) e.colour = normalise_colour(*v);
      if (auto v = style_property(*style, "background-color"))
        e.background = normalise_colour(*v);
      else if (auto b = style_property(*style, "background"))
        e.background = normalise_colour(*b);
    }
    if (auto colour = tag.attribute("color")) e.colour = normalise_colour(*colour);
    if (auto bg = tag.attribute("bgcolor")) e.background = normalise_colour(*bg);
    if (tag.name == "font") {
      if (auto size = tag.attribute("size"); size && (*size == "0" || *size == "-7"))
        e.hidden = true;
    }
    if (tag.name == "body") {
      if (auto text = tag.attribute("text")) e.colour = normalise_colour(*text);
    }
    if (contains(kVoidElements, tag.name)) return;
    if (stack_.size() < kMaxElementDepth) stack_.push_back(std::move(e));
  }

  void close(const std::string& name) {
    if (name == "a") finish_link();
    // Pop to the matching element; an unmatched end tag is ignored.
    for (std::size_t i = stack_.size(); i-- > 1;) {
      if (stack_[i].name == name) {
        stack_.resize(i);
        return;
      }
    }
  }

  void finish_link() {
    if (!in_link_) return;
    in_link_ = false;
    if (out_.links.size() < kMaxHtmlLinks) out_.links.push_back(std::move(link_));
    link_ = {};
  }

  bool hidden() const {
    const Element& e = stack_.back();
    if (e.hidden) return true;
    const std::string& bg = e.background.empty() ? std::string("#ffffff") : e.background;
    return !e.colour.empty() && e.colour == bg;
  }

  void separate() {
    if (!out_.text.empty() && out_.text.back() != '\n') out_.text += '\n';
    if (in_link_ && !link_.text.empty() && link_.text.back() != ' ') link_.text += ' ';
  }

  void emit(std::string_view text) {
    const bool is_hidden = hidden();
    std::string& target = is_hidden ? out_.hidden_text : out_.text;
    for (char c : text) {
      if (is_space(c)) {
        if (!target.empty() && !is_space(target.back())) target += ' ';
      } else {
        target += c;
      }
    }
    if (in_link_ && !is_hidden) {
      for (char c : text) {
        if (link_.text.size() >= kMaxLinkTextBytes) break;
        if (is_space(c)) {
          if (!link_.text.empty() && link_.text.back() != ' ') link_.text += ' ';
        } else {
          link_.text += c;
        }
      }
    }
  }

  std::string_view html_;
  HtmlText out_;
  std::vector<Element> stack_;
  bool in_link_ = false;
  HtmlLink link_;
};

}  // namespace

void append_utf8(std::string& out, unsigned long cp) {
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

HtmlText html_to_text(std::string_view html) {
  HtmlText out = Converter(html).run();
  while (!out.text.empty() && is_space(out.text.back())) out.text.pop_back();
  for (auto& link : out.links)
    while (!link.text.empty() && link.text.back() == ' ') link.text.pop_back();
  return out;
}

}  // namespace pw::scan
