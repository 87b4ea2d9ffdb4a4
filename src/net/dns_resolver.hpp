// Asynchronous DNS look-ups (MX, A/AAAA, TXT) on c-ares, driven by an Asio event loop, with a
// bounded TTL cache of positive and negative answers.
// Trust: every reply comes from the network; names in answers are checked before they are returned.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "net/dns_answer.hpp"
#include "util/result.hpp"

namespace pw::net {

struct DnsOptions {
  // "127.0.0.1:5353", "[::1]:53", "192.0.2.1" (port 53); empty: the servers of /etc/resolv.conf.
  std::vector<std::string> servers;
  // Wait for a reply before the next try; c-ares doubles it after each round of all servers, so
  // one look-up fails after about timeout * (2^tries - 1) with one server.
  std::chrono::milliseconds timeout{0};
  int tries = 0;
  // Answers kept, least recently used evicted first; 0 turns the cache off.
  size_t cache_entries = 0;

  // [delivery] dns_servers, dns_timeout_ms, dns_tries, dns_cache_entries: the struct holds no
  // default of its own (issue 16, item 5).
  static DnsOptions from(const config::DeliveryConfig& c);
};

struct DnsResolverState;  // the c-ares channel, its sockets, the timer, the cache (in the .cpp)

// One resolver per event loop: not thread-safe, every call and every await on the executor given
// to create(). The look-ups hold no reference to the resolver while they wait: destroying it
// ends them all with kTempFail ("resolver destroyed"). Destroy it before its io_context.
// A look-up whose coroutine is cancelled (e.g. by a timer in `||`) ends at once with kTempFail.
class DnsResolver : public std::enable_shared_from_this<DnsResolver> {
 public:
  static Result<std::shared_ptr<DnsResolver>> create(const boost::asio::any_io_executor& executor,
                                                     const DnsOptions& options);
  ~DnsResolver();
  DnsResolver(const DnsResolver&) = delete;
  DnsResolver& operator=(const DnsResolver&) = delete;

  // MX records; malformed exchange names are dropped (counted in `dropped`).
  boost::asio::awaitable<MxAnswer> mx(std::string name);
  // A and AAAA, asked at once; IPv4 addresses first. kOk when either family has records (a
  // temporary failure of the other is then ignored), kNxDomain when the name does not exist,
  // kNoData when both families answer with no records, otherwise kTempFail.
  boost::asio::awaitable<AddressAnswer> addresses(std::string name);
  // A records only (DNS block lists).
  boost::asio::awaitable<AddressAnswer> a(std::string name);
  boost::asio::awaitable<TxtAnswer> txt(std::string name);

  size_t cached_answers() const;

 private:
  explicit DnsResolver(std::shared_ptr<DnsResolverState> state) : state_(std::move(state)) {}
  std::shared_ptr<DnsResolverState> state_;
};

}  // namespace pw::net
