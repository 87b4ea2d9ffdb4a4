// A real dnsmasq on a free loopback port (127.0.0.1 only), started by a test and stopped with it:
// the DNS peer of the resolver and MX route tests, serving the zone below.
#pragma once
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace pw::test {

// The records the tests rely on; the TTL of every record is kDnsmasqTtl.
inline std::vector<std::string> mail_test_zone() {
  return {
      "--mx-host=example.test,mx1.example.test,10",
      "--mx-host=example.test,mx2.example.test,10",
      "--mx-host=example.test,backup.example.test,20",
      "--host-record=mx1.example.test,127.0.0.11",
      "--host-record=mx2.example.test,127.0.0.12",
      "--host-record=backup.example.test,127.0.0.13,::1",
      // Null MX: preference 0, exchange "." (RFC 7505).
      "--mx-host=nullmx.test,.,0",
      // Addresses and no MX: the implicit MX.
      "--host-record=implicit.test,127.0.0.21",
      "--host-record=dual.test,127.0.0.22,::1",
      "--txt-record=txt.test,v=spf1 ,-all",
      "--txt-record=txt.test,second record",
      // MX hosts that do not exist (the whole test. zone is local: unknown names are NXDOMAIN).
      "--mx-host=dangling.test,nowhere.test,10",
      "--mx-host=dangling.test,nowhere2.test,20",
      "--mx-host=partial.test,nowhere.test,10",
      "--mx-host=partial.test,mx1.example.test,20",
      // MX 10 "bad host.test" (a space in a label: not a host name), raw RDATA; and MX 20 mx2.
      "--dns-rr=badmx.test,15,000a0862616420686f737404746573740000",
      "--mx-host=badmx.test,mx2.example.test,20",
      // Three strings of 250 octets: more than a 512-octet UDP reply holds, so TCP.
      "--txt-record=big.test," + std::string(250, 'a') + "," + std::string(250, 'b') + "," +
          std::string(250, 'c'),
  };
}

constexpr int kDnsmasqTtl = 300;

class DnsmasqServer {
 public:
  // Starts dnsmasq serving `records` and waits (bounded) until it answers; nullptr and `error`
  // when it cannot.
  static std::unique_ptr<DnsmasqServer> start(const std::vector<std::string>& records,
                                              std::string& error) {
    std::string binary;
    for (const char* candidate : {"/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq"}) {
      if (::access(candidate, X_OK) == 0) binary = candidate;
    }
    if (binary.empty()) {
      error = "dnsmasq not found: install it (scripts/setup.sh does)";
      return nullptr;
    }
    for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
      uint16_t port = free_udp_port();
      if (port == 0) continue;
      std::vector<std::string> args = {
          binary,
          "--no-daemon",
          "--conf-file=/dev/null",
          "--no-resolv",
          "--no-hosts",
          "--listen-address=127.0.0.1",
          "--bind-interfaces",
          "--port=" + std::to_string(port),
          "--local=/test/",
          "--local-ttl=" + std::to_string(kDnsmasqTtl),
          "--log-facility=-",
      };
      args.insert(args.end(), records.begin(), records.end());
      pid_t pid = spawn(args);
      if (pid <= 0) {
        error = "cannot start dnsmasq";
        return nullptr;
      }
      std::unique_ptr<DnsmasqServer> server(new DnsmasqServer(pid, port));
      if (server->wait_until_answering()) return server;
      error = "dnsmasq did not answer on 127.0.0.1:" + std::to_string(port);
    }
    return nullptr;
  }

  ~DnsmasqServer() { stop(); }
  DnsmasqServer(const DnsmasqServer&) = delete;
  DnsmasqServer& operator=(const DnsmasqServer&) = delete;

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + kStopWait;
    while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(kPollInterval);
    }
    pid_ = -1;
  }

 private:
  static constexpr int kStartAttempts = 3;
  static constexpr std::chrono::seconds kStartWait{5};
  static constexpr std::chrono::seconds kStopWait{2};
  static constexpr std::chrono::milliseconds kPollInterval{20};

  DnsmasqServer(pid_t pid, uint16_t port) : pid_(pid), port_(port) {}

  // A port the kernel just handed out and took back; dnsmasq binds it next (a race with other
  // processes is possible, hence the start attempts).
  static uint16_t free_udp_port() {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return 0;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    uint16_t port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      port = ntohs(address.sin_port);
    }
    ::close(fd);
    return port;
  }

  static pid_t spawn(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid = 0;
    int status = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    return status == 0 ? pid : -1;
  }

  // Sends a query (probe.test, A) until any reply comes, dnsmasq exits, or kStartWait passes.
  bool wait_until_answering() {
    static const unsigned char kQuery[] = {
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // header, RD
        0x05, 'p',  'r',  'o',  'b',  'e',  0x04, 't',  'e',  's',  't',  0x00,  // probe.test
        0x00, 0x01, 0x00, 0x01,                                                  // A, IN
    };
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port_);
    bool answered = false;
    auto deadline = std::chrono::steady_clock::now() + kStartWait;
    while (!answered && std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;  // exited (the port was taken?)
        break;
      }
      ::sendto(fd, kQuery, sizeof(kQuery), 0, reinterpret_cast<sockaddr*>(&address),
               sizeof(address));
      std::this_thread::sleep_for(kPollInterval);
      unsigned char reply[512];
      answered = ::recv(fd, reply, sizeof(reply), 0) > 0;
    }
    ::close(fd);
    if (!answered) stop();
    return answered;
  }

  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

}  // namespace pw::test
