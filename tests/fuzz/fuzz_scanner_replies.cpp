// Fuzzes what the external scanners send back (F-SPAM rspamd/spamd): the rspamd JSON reply
// parser, the spamd reply parser, and the address parsers of [rspamd] url and [spamd] address.
// Promises checked: no crash; a parsed reply is "scanned" with finite scores and symbols named;
// an error is one line.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "scan/rspamd_client.hpp"
#include "scan/spamd_client.hpp"

namespace {

void check(bool promise) {
  if (!promise) std::abort();
}

template <class R>
void check_reply(const R& r) {
  if (!r) {
    check(r.error().message.find_first_of("\r\n") == std::string::npos);
    return;
  }
  check(r->outcome == pw::scan::ScanOutcome::kScanned);
  for (const auto& s : r->symbols) check(!s.name.empty());
  for (std::size_t i = 1; i < r->symbols.size(); ++i)
    check(!(r->symbols[i - 1].score < r->symbols[i].score));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check_reply(pw::scan::parse_rspamd_reply(input, {"reject", "add header"}));
  check_reply(pw::scan::parse_spamd_reply(input));
  if (auto url = pw::config::parse_http_url(input)) check(!url->host.empty() && url->port > 0);
  if (auto a = pw::config::parse_spamd_address(input))
    check(!a->unix_path.empty() || (!a->host.empty() && a->port > 0));
  return 0;
}
