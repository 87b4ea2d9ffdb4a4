// Fuzzes the TOML configuration loader: any input gives a config or an error, never a crash.
#include <cstdint>
#include <string_view>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)pw::config::parse_config(text, "fuzz");
  return 0;
}
