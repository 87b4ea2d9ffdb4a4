// Loads the TOML configuration over the registry's defaults and renders the reference.
// Trust: the file is admin input: every key is checked against the registry, every bound enforced.
#include "config/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "config/scanner_addresses.hpp"
#include "config/settings_registry.hpp"
#include "util/ascii_text.hpp"

namespace pw::config {
namespace {

// RFC 5322 2.2: a field name is printable ASCII except the colon.
bool valid_field_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (c < 33 || c > 126 || c == ':') return false;
  return true;
}

Result<void> normalize_names(std::vector<std::string>& names, std::string_view key) {
  for (auto& name : names) {
    if (!valid_field_name(name))
      return fail("dkim." + std::string(key) + ": '" + name + "' is not a header field name");
    name = util::ascii_lowercase(name);
    if (name == "dkim-signature")
      return fail("dkim." + std::string(key) + ": DKIM-Signature cannot be signed by itself");
  }
  return {};
}

// [dkim]: lower-cases the header names and refuses lists the signer cannot use.
Result<void> normalize_dkim_headers(DkimConfig& config) {
  if (auto r = normalize_names(config.signed_headers, "signed_headers"); !r) return r;
  if (auto r = normalize_names(config.oversigned_headers, "oversigned_headers"); !r) return r;
  bool from = false;
  for (const auto& name : config.signed_headers) from = from || name == "from";
  if (!from) return fail("dkim.signed_headers: must contain \"from\" (RFC 6376 5.4)");
  return {};
}

// `"a" or "b"`, `one of "a", "b", "c"`.
std::string choices_text(std::span<const std::string_view> choices) {
  std::string out = choices.size() > 2 ? "one of " : "";
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) out += choices.size() == 2 ? " or " : ", ";
    out += fmt::format("\"{}\"", choices[i]);
  }
  return out;
}

Result<void> check_choice(const SettingSpec& spec, const std::string& value,
                          std::string_view where) {
  if (spec.choices.empty()) return {};
  for (auto choice : spec.choices)
    if (choice == value) return {};
  return fail(fmt::format("{} must be {}, not \"{}\"", where, choices_text(spec.choices), value));
}

Result<void> apply_value(const SettingSpec& spec, const toml::node& node, Config& config,
                         std::string_view source) {
  auto where = fmt::format("{}: {}.{}", source, spec.section, spec.key);
  SettingRef ref = spec.bind(config);
  if (auto* i = std::get_if<int64_t*>(&ref)) {
    auto v = node.value<int64_t>();
    if (!node.is_integer() || !v) return fail(where + " must be an integer");
    if (*v < spec.min || *v > spec.max)
      return fail(fmt::format("{} = {} is out of bounds [{}, {}]", where, *v, spec.min, spec.max));
    **i = *v;
  } else if (auto* b = std::get_if<bool*>(&ref)) {
    if (!node.is_boolean()) return fail(where + " must be true or false");
    **b = *node.value<bool>();
  } else if (auto* s = std::get_if<std::string*>(&ref)) {
    if (!node.is_string()) return fail(where + " must be a string");
    **s = *node.value<std::string>();
    if (auto r = check_choice(spec, **s, where); !r) return r;
  } else if (auto* l = std::get_if<std::vector<std::string>*>(&ref)) {
    const auto* arr = node.as_array();
    if (!arr) return fail(where + " must be an array of strings");
    std::vector<std::string> out;
    for (const auto& item : *arr) {
      if (!item.is_string()) return fail(where + " must be an array of strings");
      out.push_back(*item.value<std::string>());
      if (auto r = check_choice(spec, out.back(), where); !r) return r;
    }
    **l = std::move(out);
  } else if (auto* d = std::get_if<double*>(&ref)) {
    auto v = node.value<double>();  // an integer is a decimal too ("threshold = 1")
    if (!(node.is_floating_point() || node.is_integer()) || !v)
      return fail(where + " must be a number");
    if (*v < static_cast<double>(spec.min) || *v > static_cast<double>(spec.max))
      return fail(fmt::format("{} = {} is out of bounds [{}, {}]", where, *v, spec.min, spec.max));
    **d = *v;
  }
  return {};
}

Result<void> apply_table(const toml::table& root, Config& config, std::string_view source) {
  std::set<std::string> known_sections;
  for (const auto& spec : settings_registry()) known_sections.emplace(spec.section);
  for (const auto& [section_key, section_node] : root) {
    std::string section(section_key.str());
    if (!known_sections.count(section))
      return fail(fmt::format("{}: unknown section [{}]", source, section));
    const auto* table = section_node.as_table();
    if (!table) return fail(fmt::format("{}: [{}] must be a table", source, section));
    for (const auto& [key, node] : *table) {
      const SettingSpec* found = nullptr;
      for (const auto& spec : settings_registry())
        if (spec.section == section && spec.key == key.str()) found = &spec;
      if (!found) return fail(fmt::format("{}: unknown setting {}.{}", source, section, key.str()));
      if (auto r = apply_value(*found, node, config, source); !r) return r;
    }
  }
  return {};
}

}  // namespace

Config default_config() {
  Config config;
  for (const auto& spec : settings_registry()) {
    auto doc = toml::parse(fmt::format("v = {}", spec.default_text));
    auto r = apply_value(spec, *doc.get("v"), config, "default");
    if (!r) throw std::logic_error("bad default in registry: " + r.error().message);
  }
  return config;
}

Result<Config> parse_config(std::string_view toml_text, std::string_view source_name) {
  Config config = default_config();
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return fail(
        fmt::format("{}:{}:{}: {}", source_name, where.line, where.column, e.description()));
  }
  if (auto r = apply_table(root, config, source_name); !r) return tl::unexpected(r.error());
  if (auto r = validate_external_config(config); !r)  // [rspamd], [spamd]
    return fail(fmt::format("{}: {}", source_name, r.error().message));
  if (auto r = normalize_dkim_headers(config.dkim); !r)  // [dkim]
    return fail(fmt::format("{}: {}", source_name, r.error().message));
  return config;
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read config file " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_config(buffer.str(), path);
}

std::string reference_markdown() {
  std::string out =
      "# Configuration reference\n\n"
      "Generated by `postwarden config reference` from `src/config/settings_registry.cpp`;\n"
      "a unit test fails when this file and the registry differ. Every setting is optional.\n";
  std::string_view section;
  for (const auto& spec : settings_registry()) {
    if (spec.section != section) {
      section = spec.section;
      out += fmt::format("\n## [{}]\n\n| key | default | bounds | doc |\n|---|---|---|---|\n",
                         section);
    }
    std::string bounds = spec.max > spec.min
                             ? fmt::format("{}..{} {}", spec.min, spec.max, spec.unit)
                             : choices_text(spec.choices);
    out +=
        fmt::format("| `{}` | `{}` | {} | {} |\n", spec.key, spec.default_text, bounds, spec.doc);
  }
  return out;
}

}  // namespace pw::config
