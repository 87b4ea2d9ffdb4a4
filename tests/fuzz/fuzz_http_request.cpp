// libFuzzer target for what the HTTP server reads as text before any handler runs: the request
// target (path split, percent-decoding, query parsing), route matching on the still-encoded path,
// and the Cookie header. Promises checked: no crash; a decoded path or query value never holds
// NUL; a parsed target's path starts with '/'; a matched route's parameters are non-empty and
// NUL-free; percent_decode never grows its input.
// Input: the first line is the target, the rest a Cookie header.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/route_table.hpp"
#include "http/request_target.hpp"

namespace {

const pw::api::RouteTable& table() {
  static const pw::api::RouteTable t = [] {
    pw::api::RouteTable made;
    for (const char* pattern : {"/api/v1/users/{name}", "/api/v1/users/{name}/lock",
                                "/api/v1/dkim/{domain}/{selector}", "/api/v1/login"})
      made.add({pw::http::Method::kGet, pattern, pw::api::Access::kLoggedIn, nullptr, {}});
    return made;
  }();
  return t;
}

void check(bool promise) {
  if (!promise) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t newline = input.find('\n');
  std::string_view target = input.substr(0, newline);
  std::string_view cookie =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  if (auto decoded = pw::http::percent_decode(target, true)) {
    check(decoded->size() <= target.size());
    check(decoded->find('\0') == std::string::npos);
  }
  if (auto parsed = pw::http::parse_request_target(target)) {
    check(!parsed->path.empty() && parsed->path.front() == '/');
    check(parsed->path.find('\0') == std::string::npos);
    for (const auto& [name, value] : parsed->query) {
      check(!name.empty());
      check(value.find('\0') == std::string::npos);
    }
    bool mismatch = false;
    if (auto match = table().match(pw::http::Method::kGet, parsed->raw_path, &mismatch)) {
      for (const auto& [name, value] : match->path_params) {
        check(!value.empty());
        check(value.find('\0') == std::string::npos);
      }
    }
  }
  if (auto value = pw::http::cookie_value(cookie, "pw_session"))
    check(value->size() <= cookie.size());
  (void)pw::http::constant_time_equal(target, cookie);
  return 0;
}
