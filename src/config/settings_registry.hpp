// The one list of every named setting: key, type, default, bounds, unit and one line of doc.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.hpp"

namespace pw::config {

// double*: decimal values (weights, ratios); their bounds are the integer min and max.
using SettingRef = std::variant<int64_t*, bool*, std::string*, std::vector<std::string>*, double*>;

struct SettingSpec {
  std::string_view section;
  std::string_view key;
  std::string_view default_text;  // as written in TOML
  int64_t min = 0;                // integers only
  int64_t max = 0;
  std::string_view unit;
  std::string_view doc;
  SettingRef (*bind)(Config&);
  // Strings (and each item of a string list) with a fixed set of values: the only values
  // accepted, checked where the config is loaded. Empty: any string.
  std::span<const std::string_view> choices = {};
};

std::span<const SettingSpec> settings_registry();

}  // namespace pw::config
