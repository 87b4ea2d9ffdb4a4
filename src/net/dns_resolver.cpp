// DNS look-ups on c-ares 1.18 driven by Asio (socket state callback, stream_descriptor waits,
// ares_process_fd, ares_timeout on a steady_timer), with the answer cache; replies are made
// answers in net/dns_answer.cpp.
// Trust: replies come from the network; dns_answer checks and bounds them.
#include "net/dns_resolver.hpp"

#include <ares.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <cstring>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <variant>

#include "util/expiring_lru.hpp"
#include "util/host_port.hpp"

namespace pw::net {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// Added to c-ares's next deadline: it reports whole milliseconds, so a timer that fires exactly
// on time can come a fraction early and spin until the deadline passes.
constexpr std::chrono::milliseconds kTimerSlack{1};
constexpr uint16_t kDefaultDnsPort = 53;
constexpr int kClassIn = 1;  // RFC 1035 3.2.4

// A status c-ares never uses: the reply of a query that has not come back.
constexpr int kNotDelivered = -1;

struct ChannelDeleter {
  void operator()(ares_channel channel) const { ares_destroy(channel); }
};
using ChannelPtr = std::unique_ptr<std::remove_pointer_t<ares_channel>, ChannelDeleter>;

// What one ares_query came back with: its status and the reply message, when there was one.
struct RawReply {
  int status = kNotDelivered;
  std::vector<unsigned char> message;
};

struct Question {
  std::string name;
  int type = 0;
};

int init_library_once() {
  static std::once_flag once;
  static int status = ARES_SUCCESS;
  std::call_once(once, [] { status = ares_library_init(ARES_LIB_INIT_ALL); });
  return status;
}

std::string cache_key(int type, const std::string& name) {
  return std::to_string(type) + " " + name;
}

template <class Answer>
Answer parse_reply(const RawReply& reply, int type) {
  if constexpr (std::is_same_v<Answer, MxAnswer>) {
    return parse_mx_reply(reply.status, reply.message);
  } else if constexpr (std::is_same_v<Answer, AddressAnswer>) {
    return parse_address_reply(reply.status, reply.message, type);
  } else {
    return parse_txt_reply(reply.status, reply.message);
  }
}

// ---- The LRU cache of answers.

using CachedAnswer = std::variant<MxAnswer, AddressAnswer, TxtAnswer>;

// Answers by type and name, each until its TTL ends (util/expiring_lru).
class AnswerCache {
 public:
  explicit AnswerCache(size_t capacity) : entries_(capacity) {}

  template <class Answer>
  std::optional<Answer> find(const std::string& key, Clock::time_point now) {
    Clock::time_point expires;
    const CachedAnswer* cached = entries_.find(key, now, &expires);
    if (cached == nullptr) return std::nullopt;
    const auto* answer = std::get_if<Answer>(cached);
    if (answer == nullptr) {
      entries_.erase(key);
      return std::nullopt;
    }
    Answer copy = *answer;
    copy.ttl = std::chrono::ceil<std::chrono::seconds>(expires - now);
    copy.from_cache = true;
    return copy;
  }

  void store(const std::string& key, CachedAnswer answer, Clock::time_point expires) {
    entries_.store(key, std::move(answer), expires);
  }

  size_t size() const { return entries_.size(); }

 private:
  util::ExpiringLru<CachedAnswer, Clock> entries_;
};

// ---- Waiting for c-ares: one waiter per look-up, shared by the queries it sent.

class ReplyWaiter {
 public:
  explicit ReplyWaiter(size_t count) : replies_(count), outstanding_(count) {}
  virtual ~ReplyWaiter() = default;

  void deliver(size_t index, RawReply reply) {
    if (done_) return;
    replies_[index] = std::move(reply);
    if (--outstanding_ == 0) finish(kNotDelivered);
  }
  // Completes now; replies that have not come are reported with `status`.
  void finish(int status) {
    if (done_) return;
    done_ = true;
    for (auto& reply : replies_) {
      if (reply.status == kNotDelivered) reply.status = status;
    }
    complete(std::move(replies_));
  }

 private:
  virtual void complete(std::vector<RawReply> replies) = 0;

  std::vector<RawReply> replies_;
  size_t outstanding_;
  bool done_ = false;
};

template <class Handler>
class HandlerWaiter final : public ReplyWaiter {
 public:
  using Executor = asio::associated_executor_t<Handler, asio::any_io_executor>;

  HandlerWaiter(Handler handler, const asio::any_io_executor& fallback, size_t count)
      : ReplyWaiter(count),
        work_(asio::get_associated_executor(handler, fallback)),
        handler_(std::move(handler)) {}

 private:
  // Never inline: the handler resumes a coroutine, and c-ares may be calling us from inside
  // ares_query, ares_process_fd or ares_destroy.
  void complete(std::vector<RawReply> replies) override {
    asio::post(work_.get_executor(), asio::append(std::move(handler_), std::move(replies)));
    work_.reset();
  }

  asio::executor_work_guard<Executor> work_;
  Handler handler_;
};

// Installed in the coroutine's cancellation slot: a cancelled look-up completes at once and its
// queries run on inside c-ares, their replies ignored.
struct CancelWaiter {
  std::weak_ptr<ReplyWaiter> waiter;
  void operator()(asio::cancellation_type_t type) const {
    if (type == asio::cancellation_type::none) return;
    if (auto locked = waiter.lock()) locked->finish(ARES_ECANCELLED);
  }
};

// What c-ares carries for one query: the look-up it belongs to and its place there.
struct QueryTicket {
  std::shared_ptr<ReplyWaiter> waiter;
  size_t index = 0;
};

void on_reply(void* arg, int status, int /*timeouts*/, unsigned char* message,
              int length) noexcept {
  std::unique_ptr<QueryTicket> ticket(static_cast<QueryTicket*>(arg));
  RawReply reply;
  reply.status = status;
  if (message != nullptr && length > 0) reply.message.assign(message, message + length);
  ticket->waiter->deliver(ticket->index, std::move(reply));
}

void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) noexcept;

struct SocketWatch {
  explicit SocketWatch(const asio::any_io_executor& executor) : descriptor(executor) {}
  ~SocketWatch() { release(); }
  SocketWatch(const SocketWatch&) = delete;
  SocketWatch& operator=(const SocketWatch&) = delete;

  // c-ares owns the descriptor and closes it: take it out of the reactor, never close it.
  void release() {
    released = true;
    descriptor.release();
  }

  asio::posix::stream_descriptor descriptor;
  bool want_read = false;
  bool want_write = false;
  bool read_pending = false;
  bool write_pending = false;
  bool released = false;
};

}  // namespace

struct DnsResolverState : std::enable_shared_from_this<DnsResolverState> {
  DnsResolverState(asio::any_io_executor executor, size_t cache_entries)
      : executor(std::move(executor)), timer(this->executor), cache(cache_entries) {}

  ~DnsResolverState() {
    destroying = true;
    // Pending queries end with ARES_EDESTRUCTION (their coroutines resume later, from the loop);
    // c-ares reports each socket closed, which releases its watch.
    channel.reset();
    for (auto& [fd, watch] : sockets) watch->release();
  }

  DnsResolverState(const DnsResolverState&) = delete;
  DnsResolverState& operator=(const DnsResolverState&) = delete;

  void socket_state(ares_socket_t fd, bool readable, bool writable) {
    auto found = sockets.find(fd);
    if (!readable && !writable) {
      if (found != sockets.end()) {
        found->second->release();
        sockets.erase(found);
      }
      return;
    }
    if (destroying) return;
    if (found == sockets.end()) {
      auto watch = std::make_shared<SocketWatch>(executor);
      boost::system::error_code error;
      watch->descriptor.assign(fd, error);
      if (error) {
        // Its queries end at their deadline (the timer still runs).
        spdlog::warn("event=dns_socket_error error=\"{}\"", error.message());
        watch->released = true;
        return;
      }
      found = sockets.emplace(fd, std::move(watch)).first;
    }
    auto watch = found->second;
    watch->want_read = readable;
    watch->want_write = writable;
    if (readable) wait(watch, true);
    if (writable) wait(watch, false);
  }

  void wait(const std::shared_ptr<SocketWatch>& watch, bool for_read) {
    bool& pending = for_read ? watch->read_pending : watch->write_pending;
    if (pending || watch->released) return;
    pending = true;
    auto type = for_read ? asio::posix::descriptor_base::wait_read
                         : asio::posix::descriptor_base::wait_write;
    watch->descriptor.async_wait(
        type, [weak = weak_from_this(), watch, for_read](const boost::system::error_code& error) {
          (for_read ? watch->read_pending : watch->write_pending) = false;
          if (error || watch->released) return;
          auto state = weak.lock();
          if (!state) return;
          if (for_read ? watch->want_read : watch->want_write) {
            ares_socket_t fd = watch->descriptor.native_handle();
            state->process(for_read ? fd : ARES_SOCKET_BAD, for_read ? ARES_SOCKET_BAD : fd);
          }
          if (!watch->released && (for_read ? watch->want_read : watch->want_write)) {
            state->wait(watch, for_read);
          }
        });
  }

  void process(ares_socket_t read_fd, ares_socket_t write_fd) {
    ares_process_fd(channel.get(), read_fd, write_fd);
    arm_timer();
  }

  void arm_timer() {
    if (destroying || !channel) return;
    timeval storage{};
    timeval* next = ares_timeout(channel.get(), nullptr, &storage);
    if (next == nullptr) {
      timer.cancel();
      return;
    }
    timer.expires_after(std::chrono::seconds(next->tv_sec) +
                        std::chrono::microseconds(next->tv_usec) + kTimerSlack);
    timer.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
      if (error) return;
      if (auto state = weak.lock()) state->process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    });
  }

  asio::any_io_executor executor;
  asio::steady_timer timer;
  std::unordered_map<ares_socket_t, std::shared_ptr<SocketWatch>> sockets;
  AnswerCache cache;
  bool destroying = false;
  ChannelPtr channel;  // last member, so destroyed first: its sockets are reported closed
};

namespace {

void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) noexcept {
  static_cast<DnsResolverState*>(data)->socket_state(fd, readable != 0, writable != 0);
}

template <class Handler>
void start_queries(const std::weak_ptr<DnsResolverState>& weak,
                   const asio::any_io_executor& executor, const std::vector<Question>& questions,
                   Handler handler) {
  auto slot = asio::get_associated_cancellation_slot(handler);
  auto waiter =
      std::make_shared<HandlerWaiter<Handler>>(std::move(handler), executor, questions.size());
  auto state = weak.lock();
  if (!state || state->destroying) {
    waiter->finish(ARES_EDESTRUCTION);
    return;
  }
  if (slot.is_connected()) slot.template emplace<CancelWaiter>(CancelWaiter{waiter});
  for (size_t i = 0; i < questions.size(); ++i) {
    auto ticket = std::make_unique<QueryTicket>(QueryTicket{waiter, i});
    ares_query(state->channel.get(), questions[i].name.c_str(), kClassIn, questions[i].type,
               &on_reply, ticket.release());
  }
  state->arm_timer();
}

// Answers to `types` for one name, from the cache where it holds them, else from DNS. The
// frame holds no reference to the resolver while it waits.
template <class Answer>
asio::awaitable<std::vector<Answer>> look_up(std::weak_ptr<DnsResolverState> weak, std::string name,
                                             std::vector<int> types) {
  std::vector<Answer> answers(types.size());
  auto canonical = canonical_query_name(name);
  if (!canonical) {
    for (auto& answer : answers)
      answer = failed_answer<Answer>(DnsStatus::kNxDomain, "invalid name");
    co_return answers;
  }
  std::vector<Question> questions;
  std::vector<size_t> places;
  {
    auto state = weak.lock();
    if (!state) {
      for (auto& answer : answers) {
        answer = failed_answer<Answer>(DnsStatus::kTempFail, "resolver destroyed");
      }
      co_return answers;
    }
    auto now = Clock::now();
    for (size_t i = 0; i < types.size(); ++i) {
      if (auto hit = state->cache.template find<Answer>(cache_key(types[i], *canonical), now)) {
        answers[i] = std::move(*hit);
      } else {
        questions.push_back(Question{*canonical, types[i]});
        places.push_back(i);
      }
    }
  }
  if (questions.empty()) co_return answers;

  auto executor = co_await asio::this_coro::executor;
  auto replies =
      co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::vector<RawReply>)>(
          [&weak, &executor, &questions](auto handler) {
            start_queries(weak, executor, questions, std::move(handler));
          },
          asio::use_awaitable);

  auto state = weak.lock();  // gone: the answers are still returned, just not kept
  auto now = Clock::now();
  for (size_t j = 0; j < questions.size(); ++j) {
    Answer answer = parse_reply<Answer>(replies[j], questions[j].type);
    if (state && answer.status != DnsStatus::kTempFail && answer.ttl.count() > 0) {
      state->cache.store(cache_key(questions[j].type, questions[j].name), answer, now + answer.ttl);
    }
    answers[places[j]] = std::move(answer);
  }
  co_return answers;
}

template <class Answer>
asio::awaitable<Answer> look_up_one(std::weak_ptr<DnsResolverState> weak, std::string name,
                                    int type) {
  auto answers = co_await look_up<Answer>(std::move(weak), std::move(name), {type});
  co_return std::move(answers.front());
}

asio::awaitable<AddressAnswer> look_up_addresses(std::weak_ptr<DnsResolverState> weak,
                                                 std::string name) {
  auto answers =
      co_await look_up<AddressAnswer>(std::move(weak), std::move(name), {kDnsTypeA, kDnsTypeAaaa});
  co_return combine_addresses(std::move(answers[0]), std::move(answers[1]));
}

// "192.0.2.1", "192.0.2.1:5353", "[2001:db8::1]:53", "2001:db8::1" -> c-ares's "ip:port" form.
Result<std::string> server_for_cares(std::string_view text) {
  auto split = util::split_host_port(text, kDefaultDnsPort);
  if (!split) {
    if (split.error() == util::HostPortError::kUnclosedBracket)
      return fail("DNS server \"" + std::string(text) + "\": no ]");
    return fail("DNS server \"" + std::string(text) + "\": bad port");
  }
  boost::system::error_code error;
  auto address = asio::ip::make_address(split->host, error);
  if (error) return fail("DNS server \"" + std::string(text) + "\" is not an IP address");
  const std::string port = std::to_string(split->port);
  if (address.is_v6()) return "[" + address.to_string() + "]:" + port;
  return address.to_string() + ":" + port;
}

}  // namespace

DnsOptions DnsOptions::from(const config::DeliveryConfig& c) {
  DnsOptions o;
  o.servers = c.dns_servers;
  o.timeout = std::chrono::milliseconds(c.dns_timeout_ms);
  o.tries = static_cast<int>(c.dns_tries);
  o.cache_entries = static_cast<size_t>(c.dns_cache_entries);
  return o;
}

Result<std::shared_ptr<DnsResolver>> DnsResolver::create(const asio::any_io_executor& executor,
                                                         const DnsOptions& options) {
  if (options.tries < 1) return fail("DNS tries must be at least 1");
  if (options.timeout.count() < 1) return fail("DNS timeout must be at least 1 ms");
  std::string servers;
  for (const auto& server : options.servers) {
    auto converted = server_for_cares(server);
    if (!converted) return tl::unexpected(converted.error());
    servers += (servers.empty() ? "" : ",") + *converted;
  }
  if (int status = init_library_once(); status != ARES_SUCCESS) {
    return fail(std::string("c-ares initialisation failed: ") + ares_strerror(status));
  }

  auto state = std::make_shared<DnsResolverState>(executor, options.cache_entries);
  ares_options settings{};
  settings.sock_state_cb = &on_socket_state;
  settings.sock_state_cb_data = state.get();
  settings.timeout = static_cast<int>(options.timeout.count());
  settings.tries = options.tries;
  ares_channel channel = nullptr;
  int status = ares_init_options(&channel, &settings,
                                 ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
  if (status != ARES_SUCCESS) {
    return fail(std::string("cannot start the DNS resolver: ") + ares_strerror(status));
  }
  state->channel.reset(channel);
  if (!servers.empty()) {
    status = ares_set_servers_ports_csv(state->channel.get(), servers.c_str());
    if (status != ARES_SUCCESS) {
      return fail("cannot use DNS servers " + servers + ": " + ares_strerror(status));
    }
  }
  return std::shared_ptr<DnsResolver>(new DnsResolver(std::move(state)));
}

DnsResolver::~DnsResolver() = default;

asio::awaitable<MxAnswer> DnsResolver::mx(std::string name) {
  return look_up_one<MxAnswer>(state_, std::move(name), kDnsTypeMx);
}

asio::awaitable<AddressAnswer> DnsResolver::addresses(std::string name) {
  return look_up_addresses(state_, std::move(name));
}

asio::awaitable<AddressAnswer> DnsResolver::a(std::string name) {
  return look_up_one<AddressAnswer>(state_, std::move(name), kDnsTypeA);
}

asio::awaitable<TxtAnswer> DnsResolver::txt(std::string name) {
  return look_up_one<TxtAnswer>(state_, std::move(name), kDnsTypeTxt);
}

size_t DnsResolver::cached_answers() const { return state_->cache.size(); }

}  // namespace pw::net
