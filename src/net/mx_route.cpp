// MX routing (RFC 5321 5.1, RFC 7505) and fixed routes on top of DnsResolver.
// Trust: the domain comes from an envelope and is echoed only made printable; the resolver has
// already checked every name in the DNS answers.
#include "net/mx_route.hpp"

#include <algorithm>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/this_coro.hpp>
#include <charconv>

#include "net/dns_resolver.hpp"
#include "util/ascii_text.hpp"

namespace pw::net {

namespace asio = boost::asio;

namespace {

// MX hosts whose addresses are looked up, in preference order; the rest are ignored. Each costs
// two queries, and a hostile domain could list hundreds.
constexpr size_t kMaxMxHosts = 10;
// Targets returned at most (addresses of all hosts together).
constexpr size_t kMaxTargets = 20;
// Hosts named in the reason of a failure.
constexpr size_t kMaxHostsInReason = 3;
// Octets of a name echoed in a reason (a DNS name has at most 253).
constexpr size_t kMaxEchoedName = 255;
constexpr uint16_t kDefaultSmtpPort = 25;

RouteResult temporary(std::string reason) {
  return tl::unexpected(RouteFailure{false, std::move(reason), {}});
}

RouteResult permanent(std::string reason) {
  return tl::unexpected(RouteFailure{true, std::move(reason), {}});
}

std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxEchoedName)) {
    auto byte = static_cast<unsigned char>(c);
    out += (byte > 0x20 && byte < 0x7f) ? c : '?';
  }
  if (text.size() > kMaxEchoedName) out += "...";
  return out;
}

// Whether the coroutine has been cancelled (a deadline in `||`, a cancellation signal): Asio
// would throw at its next co_await, so the route ends with a temporary failure instead.
bool is_cancelled(const asio::cancellation_state& state) {
  return state.cancelled() != asio::cancellation_type::none;
}

// The addresses of `host`, asked of the resolver only if it still exists; no reference to it is
// held while the look-up waits.
asio::awaitable<AddressAnswer> addresses_of(std::weak_ptr<DnsResolver> weak, std::string host) {
  auto resolver = weak.lock();
  if (!resolver) {
    AddressAnswer gone;
    gone.reason = "resolver destroyed";
    co_return gone;
  }
  auto lookup = resolver->addresses(std::move(host));
  resolver.reset();
  co_return co_await std::move(lookup);
}

// Appends the answer's addresses (IPv4 first, as the resolver returns them), each address once.
void add_targets(std::vector<RouteTarget>& targets, const std::string& host,
                 const AddressAnswer& answer, uint16_t port, uint16_t preference) {
  for (const auto& address : answer.records) {
    if (targets.size() >= kMaxTargets) return;
    bool seen = std::any_of(targets.begin(), targets.end(),
                            [&address](const RouteTarget& t) { return t.address == address; });
    if (!seen) targets.push_back(RouteTarget{host, address, port, preference});
  }
}

asio::awaitable<RouteResult> implicit_mx(std::weak_ptr<DnsResolver> weak, std::string domain,
                                         uint16_t port) {
  auto answer = co_await addresses_of(std::move(weak), domain);
  switch (answer.status) {
    case DnsStatus::kOk: {
      std::vector<RouteTarget> targets;
      add_targets(targets, domain, answer, port, 0);
      co_return targets;
    }
    case DnsStatus::kNxDomain:
      co_return permanent("domain " + printable(domain) + " does not exist (" + answer.reason +
                          ")");
    case DnsStatus::kNoData:
      co_return permanent("domain " + printable(domain) + " has no MX and no A/AAAA records");
    case DnsStatus::kTempFail:
      break;
  }
  co_return temporary("DNS failure looking up the address of " + printable(domain) + ": " +
                      answer.reason);
}

// RFC 5321 5.1: lowest preference first, the order among equal preferences random; each host
// once, at most kMaxMxHosts.
std::vector<MxRecord> ordered_hosts(std::vector<MxRecord> records, std::mt19937& random) {
  std::sort(records.begin(), records.end(),
            [](const MxRecord& x, const MxRecord& y) { return x.preference < y.preference; });
  for (auto group = records.begin(); group != records.end();) {
    auto end = std::find_if(group, records.end(), [&group](const MxRecord& r) {
      return r.preference != group->preference;
    });
    std::shuffle(group, end, random);
    group = end;
  }
  std::vector<MxRecord> hosts;
  for (auto& record : records) {
    bool seen = std::any_of(hosts.begin(), hosts.end(),
                            [&record](const MxRecord& h) { return h.exchange == record.exchange; });
    if (!seen && hosts.size() < kMaxMxHosts) hosts.push_back(std::move(record));
  }
  return hosts;
}

}  // namespace

asio::awaitable<RouteResult> resolve_mail_route(DnsResolver& resolver, std::string domain,
                                                uint16_t port, std::mt19937& random) {
  std::weak_ptr<DnsResolver> weak = resolver.weak_from_this();
  MxAnswer mx = co_await resolver.mx(domain);  // from here on, `resolver` only through `weak`
  if (is_cancelled(co_await asio::this_coro::cancellation_state)) co_return temporary("cancelled");
  switch (mx.status) {
    case DnsStatus::kTempFail:
      co_return temporary("DNS failure looking up the MX of " + printable(domain) + ": " +
                          mx.reason);
    case DnsStatus::kNxDomain:
      co_return permanent("domain " + printable(domain) + " does not exist (" + mx.reason + ")");
    case DnsStatus::kNoData:
      co_return co_await implicit_mx(weak, domain, port);
    case DnsStatus::kOk:
      break;
  }

  auto& records = mx.records;
  // RFC 7505 3 asks for one record, preference 0, exchange "."; a root exchange is no host at
  // any preference, so an MX set of nothing but root exchanges is read as null MX too. Beside
  // real hosts (against RFC 7505 3) a root exchange is skipped.
  bool only_root = !records.empty() && std::all_of(records.begin(), records.end(),
                                                   [](auto& r) { return r.exchange == "."; });
  if (only_root) co_return permanent("domain accepts no mail (null MX, RFC 7505)");
  std::erase_if(records, [](const MxRecord& r) { return r.exchange == "."; });
  if (records.empty()) {
    co_return temporary("no usable MX record for " + printable(domain) + " (" +
                        std::to_string(mx.dropped) + " malformed)");
  }

  const std::vector<MxRecord> hosts = ordered_hosts(std::move(records), random);

  std::vector<RouteTarget> targets;
  std::string failures;
  size_t failed_hosts = 0;
  for (const auto& host : hosts) {
    if (targets.size() >= kMaxTargets) break;
    if (is_cancelled(co_await asio::this_coro::cancellation_state))
      co_return temporary("cancelled");
    auto answer = co_await addresses_of(weak, host.exchange);
    if (answer.status == DnsStatus::kOk) {
      add_targets(targets, host.exchange, answer, port, host.preference);
      continue;
    }
    if (failed_hosts++ < kMaxHostsInReason) {
      failures += (failures.empty() ? "" : ", ") + host.exchange + " (" + answer.reason + ")";
    }
  }
  if (targets.empty()) {
    if (failed_hosts > kMaxHostsInReason) failures += ", ...";
    co_return temporary("no MX host of " + printable(domain) + " has an address: " + failures);
  }
  co_return targets;
}

Result<FixedRoute> parse_fixed_route(std::string_view text) {
  auto refuse = [text](const std::string& why) {
    return fail("route \"" + printable(text) + "\": " + why);
  };
  std::string_view host = text;
  std::string_view port_text;
  bool has_port = false;
  bool bracketed = false;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return refuse("no closing bracket");
    bracketed = true;
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return refuse("expected :port after the bracket");
      has_port = true;
      port_text = rest.substr(1);
    }
  } else {
    auto colons = std::count(text.begin(), text.end(), ':');
    if (colons > 1) return refuse("an IPv6 address goes in brackets: [2001:db8::1]:25");
    if (colons == 1) {
      size_t colon = text.find(':');
      host = text.substr(0, colon);
      has_port = true;
      port_text = text.substr(colon + 1);
    }
  }
  if (host.empty()) return refuse("no host");

  unsigned port = kDefaultSmtpPort;
  if (has_port) {
    auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return refuse("the port must be 1-65535");
    }
  }
  boost::system::error_code error;
  auto address = asio::ip::make_address(std::string(host), error);
  if (!error) return FixedRoute{address.to_string(), static_cast<uint16_t>(port), true};
  if (bracketed && host.find(':') != std::string_view::npos) return refuse("bad IPv6 address");

  std::string name = util::ascii_lowercase(host);
  if (name.back() == '.') name.pop_back();
  if (!is_valid_host_name(name)) return refuse("not a host name or IP address");
  return FixedRoute{std::move(name), static_cast<uint16_t>(port), false};
}

asio::awaitable<RouteResult> resolve_fixed_route(DnsResolver& resolver, std::string host_port) {
  auto route = parse_fixed_route(host_port);
  if (!route) co_return temporary("invalid " + route.error().message);
  if (route->is_address) {
    boost::system::error_code ignored;
    auto address = asio::ip::make_address(route->host, ignored);
    co_return std::vector<RouteTarget>{RouteTarget{route->host, address, route->port, 0}};
  }
  auto answer = co_await resolver.addresses(route->host);
  if (answer.status != DnsStatus::kOk) {
    co_return temporary("route host " + route->host + " has no address: " + answer.reason);
  }
  std::vector<RouteTarget> targets;
  add_targets(targets, route->host, answer, route->port, 0);
  co_return targets;
}

}  // namespace pw::net
