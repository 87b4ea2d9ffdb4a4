// DNSBL look-ups: query names, answer codes, the TTL cache and the parallel client.
// Trust: answers come from DNS servers on the network: codes are checked to be in 127.0.0.0/8,
// TXT text is cut short and made printable before it reaches a reply or a log line.
#include "net/dnsbl_client.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <cmath>
#include <variant>

#include "mail/printable.hpp"
#include "util/ascii_text.hpp"

namespace pw::net {

namespace asio = boost::asio;

namespace {

using Clock = std::chrono::steady_clock;

constexpr double kMaxWeight = 1000;
// No answer is kept longer than a day, whatever its TTL says.
constexpr std::chrono::seconds kMaxCacheTtl{24 * 60 * 60};
// TXT reason text kept for replies and logs.
constexpr size_t kMaxReasonText = 200;
constexpr char kHexDigits[] = "0123456789abcdef";

std::string cache_key(std::string_view zone, std::string_view ip) {
  return std::string(zone) + " " + std::string(ip);
}

asio::ip::address unmapped(asio::ip::address address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  return address;
}

// What one zone said, and how long that holds (0: not kept).
struct ZoneAnswer {
  DnsblZoneResult result;
  std::chrono::seconds ttl{0};
};

// `operation`'s result, or nullopt when `deadline` comes first (the operation is cancelled).
template <class T>
asio::awaitable<std::optional<T>> before(asio::awaitable<T> operation, Clock::time_point deadline) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
  boost::system::error_code ignored;
  auto first = co_await (std::move(operation) ||
                         timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored)));
  if (first.index() == 0) co_return std::get<0>(std::move(first));
  co_return std::nullopt;
}

asio::awaitable<ZoneAnswer> ask_zone(std::shared_ptr<DnsResolver> resolver, DnsblZone zone,
                                     std::string name, Clock::time_point deadline,
                                     std::chrono::seconds negative_ttl) {
  ZoneAnswer out;
  out.result.zone = zone.zone;
  out.result.weight = zone.weight;
  auto a = co_await before(resolver->a(name), deadline);
  if (!a) {
    out.result.status = DnsblStatus::kError;
    out.result.error = "timeout";
    co_return out;
  }
  auto classified = classify_dnsbl_answer(*a);
  out.result.status = classified.status;
  out.result.codes = std::move(classified.codes);
  out.result.ignored = std::move(classified.ignored);
  out.result.error = std::move(classified.error);
  if (out.result.status == DnsblStatus::kNotListed) {
    out.ttl = a->ttl_from_soa ? a->ttl : negative_ttl;
  } else if (out.result.status == DnsblStatus::kListed) {
    out.ttl = a->ttl;
    auto txt = co_await before(resolver->txt(name), deadline);
    if (txt && txt->status == DnsStatus::kOk && !txt->records.empty()) {
      std::string joined;
      for (const auto& record : txt->records) joined += (joined.empty() ? "" : "; ") + record;
      out.result.text = mail::printable_text(joined, kMaxReasonText);
      out.ttl = std::min(out.ttl, txt->ttl);
    }
  }
  out.ttl = std::min(out.ttl, kMaxCacheTtl);
  co_return out;
}

}  // namespace

Result<DnsblZone> parse_dnsbl_zone(std::string_view text) {
  DnsblZone out;
  std::string_view name = text;
  auto equals = text.find('=');
  if (equals != std::string_view::npos) {
    name = text.substr(0, equals);
    std::string_view weight = text.substr(equals + 1);
    double value = 0;
    auto [end, error] = std::from_chars(weight.data(), weight.data() + weight.size(), value);
    if (weight.empty() || error != std::errc() || end != weight.data() + weight.size() ||
        !std::isfinite(value) || value < 0 || value > kMaxWeight)
      return fail(fmt::format("block list \"{}\": the weight after = is a number from 0 to {}",
                              mail::printable_text(text, 100), kMaxWeight));
    out.weight = value;
  }
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  const std::string lower = util::ascii_lowercase(name);
  if (!is_valid_host_name(lower) || lower.find('.') == std::string::npos)
    return fail(fmt::format("block list \"{}\" is not a DNS zone name (like zen.example.org)",
                            mail::printable_text(text, 100)));
  out.zone = lower;
  return out;
}

std::string dnsbl_query_name(const asio::ip::address& ip, std::string_view zone) {
  std::string name;
  auto address = unmapped(ip);
  if (address.is_v4()) {
    auto bytes = address.to_v4().to_bytes();
    name = fmt::format("{}.{}.{}.{}", bytes[3], bytes[2], bytes[1], bytes[0]);
  } else {
    auto bytes = address.to_v6().to_bytes();
    for (auto it = bytes.rbegin(); it != bytes.rend(); ++it) {
      if (!name.empty()) name += '.';
      name += kHexDigits[*it & 0x0f];
      name += '.';
      name += kHexDigits[*it >> 4];
    }
  }
  name += '.';
  name += zone;
  return name;
}

std::string_view to_string(DnsblStatus status) {
  switch (status) {
    case DnsblStatus::kListed:
      return "listed";
    case DnsblStatus::kNotListed:
      return "not_listed";
    case DnsblStatus::kError:
      return "error";
  }
  return "error";
}

DnsblClassification classify_dnsbl_answer(const AddressAnswer& answer) {
  DnsblClassification out;
  switch (answer.status) {
    case DnsStatus::kNxDomain:
    case DnsStatus::kNoData:
      out.status = DnsblStatus::kNotListed;
      return out;
    case DnsStatus::kTempFail:
      out.status = DnsblStatus::kError;
      out.error = answer.reason.empty() ? "no answer" : mail::printable_text(answer.reason, 100);
      return out;
    case DnsStatus::kOk:
      break;
  }
  for (const auto& record : answer.records) {
    bool listing = false;
    if (record.is_v4()) {
      auto bytes = record.to_v4().to_bytes();
      // RFC 5782 2.3: codes are in 127.0.0.0/8; 127.255.255.0/24 is what Spamhaus answers to
      // queries it refuses (open resolvers, over quota) or cannot read: never a listing.
      listing = bytes[0] == 127 && !(bytes[1] == 255 && bytes[2] == 255);
    }
    (listing ? out.codes : out.ignored).push_back(record.to_string());
  }
  if (!out.codes.empty()) {
    out.status = DnsblStatus::kListed;
  } else if (!out.ignored.empty()) {
    out.status = DnsblStatus::kError;
    out.error = "answer is not a listing code";
  } else {
    out.status = DnsblStatus::kNotListed;
  }
  return out;
}

double DnsblResult::listed_weight() const {
  double sum = 0;
  for (const auto& zone : zones)
    if (zone.status == DnsblStatus::kListed) sum += zone.weight;
  return sum;
}

std::string DnsblResult::listed_zones() const {
  std::string out;
  for (const auto& zone : zones)
    if (zone.status == DnsblStatus::kListed) out += (out.empty() ? "" : ", ") + zone.zone;
  return out;
}

std::optional<DnsblZoneResult> DnsblCache::find(const std::string& zone, const std::string& ip,
                                                Clock::time_point now) {
  const DnsblZoneResult* cached = entries_.find(cache_key(zone, ip), now);
  if (cached == nullptr) return std::nullopt;
  DnsblZoneResult copy = *cached;
  copy.from_cache = true;
  return copy;
}

void DnsblCache::store(const std::string& ip, const DnsblZoneResult& result,
                       Clock::time_point expires) {
  DnsblZoneResult stored = result;
  stored.from_cache = false;
  entries_.store(cache_key(result.zone, ip), std::move(stored), expires);
}

Result<DnsblOptions> DnsblOptions::from(const config::IpReputationConfig& c) {
  DnsblOptions o;
  for (const auto& text : c.zones) {
    auto zone = parse_dnsbl_zone(text);
    if (!zone) return fail("ip_reputation.zones: " + zone.error().message);
    o.zones.push_back(*zone);
  }
  o.timeout = std::chrono::milliseconds(c.timeout_ms);
  o.cache_entries = static_cast<size_t>(c.cache_max_entries);
  o.negative_ttl = std::chrono::seconds(c.negative_ttl_s);
  return o;
}

DnsblClient::DnsblClient(std::shared_ptr<DnsResolver> resolver, DnsblOptions options)
    : resolver_(std::move(resolver)),
      options_(std::move(options)),
      cache_(options_.cache_entries) {}

namespace {

// Every zone at once; the timer is the latch the last answer releases. One event loop runs this,
// so no answer can come between the count check and the wait.
asio::awaitable<std::vector<ZoneAnswer>> ask_zones(std::shared_ptr<DnsResolver> resolver,
                                                   std::vector<DnsblZone> zones,
                                                   asio::ip::address address,
                                                   Clock::time_point deadline,
                                                   std::chrono::seconds negative_ttl) {
  auto executor = co_await asio::this_coro::executor;
  struct Pending {
    Pending(const asio::any_io_executor& executor, size_t count)
        : done(executor, Clock::time_point::max()), answers(count), left(count) {}
    asio::steady_timer done;
    std::vector<ZoneAnswer> answers;
    size_t left;
  };
  auto pending = std::make_shared<Pending>(executor, zones.size());
  for (size_t j = 0; j < zones.size(); ++j) {
    const auto& zone = zones[j];
    asio::co_spawn(
        executor,
        ask_zone(resolver, zone, dnsbl_query_name(address, zone.zone), deadline, negative_ttl),
        [pending, j, zone](const std::exception_ptr& error, ZoneAnswer answer) {
          if (error) {
            answer = ZoneAnswer{};
            answer.result.zone = zone.zone;
            answer.result.weight = zone.weight;
            answer.result.error = "look-up failed";
          }
          pending->answers[j] = std::move(answer);
          if (--pending->left == 0) pending->done.cancel();
        });
  }
  if (pending->left > 0) {
    boost::system::error_code ignored;
    co_await pending->done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  co_return std::move(pending->answers);
}

void log_zone_problems(const DnsblResult& result) {
  for (const auto& zone : result.zones) {
    if (zone.status == DnsblStatus::kError)
      spdlog::warn("event=dnsbl_error client={} zone={} error=\"{}\" ignored_codes=\"{}\"",
                   result.ip, zone.zone, zone.error, fmt::join(zone.ignored, ","));
    else if (!zone.ignored.empty())
      spdlog::warn("event=dnsbl_ignored_codes client={} zone={} codes=\"{}\"", result.ip, zone.zone,
                   fmt::join(zone.ignored, ","));
  }
}

}  // namespace

asio::awaitable<DnsblResult> DnsblClient::lookup(std::string ip) {
  auto self = shared_from_this();
  const auto started = Clock::now();
  DnsblResult result;
  result.ip = ip;
  result.zones.resize(options_.zones.size());
  boost::system::error_code parse_error;
  auto address = asio::ip::make_address(ip, parse_error);
  if (parse_error) {
    for (size_t i = 0; i < options_.zones.size(); ++i) {
      result.zones[i].zone = options_.zones[i].zone;
      result.zones[i].weight = options_.zones[i].weight;
      result.zones[i].error = "not an IP address";
    }
    co_return result;
  }
  address = unmapped(address);
  const std::string key = address.to_string();
  result.ip = key;

  std::vector<size_t> missing;
  for (size_t i = 0; i < options_.zones.size(); ++i) {
    if (auto hit = cache_.find(options_.zones[i].zone, key, started)) {
      hit->weight = options_.zones[i].weight;  // the weight is the configuration's, not cached
      result.zones[i] = std::move(*hit);
    } else {
      missing.push_back(i);
    }
  }
  if (!missing.empty()) {
    std::vector<DnsblZone> zones;
    zones.reserve(missing.size());
    for (size_t i : missing) zones.push_back(options_.zones[i]);
    auto answers = co_await ask_zones(resolver_, std::move(zones), address,
                                      started + options_.timeout, options_.negative_ttl);
    const auto now = Clock::now();
    for (size_t j = 0; j < missing.size(); ++j) {
      auto& answer = answers[j];
      if (answer.result.status != DnsblStatus::kError && answer.ttl.count() > 0)
        cache_.store(key, answer.result, now + answer.ttl);
      result.zones[missing[j]] = std::move(answer.result);
    }
    result.queries = missing.size();
  }
  log_zone_problems(result);
  result.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
  co_return result;
}

}  // namespace pw::net
