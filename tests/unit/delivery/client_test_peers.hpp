// Real SMTP peers for the delivery client's tests, on loopback only: tests/peers/smtp_receiver.py
// (aiosmtpd, Debian's /usr/bin/python3) and Postfix's smtp-sink. Every wait here is bounded.
// Trust: the peers' output is read as test evidence, bounded by the test's time limits.
#pragma once
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../store/temp_dir.hpp"

extern char** environ;

namespace pw::test {

inline std::filesystem::path source_dir() {
  if (const char* dir = std::getenv("PW_SOURCE_DIR")) return dir;
  // tests/unit/delivery/client_test_peers.hpp -> the repository root.
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
}

// Runs one awaitable on `io` to completion, for at most `bound`.
template <class T>
T run_bounded(boost::asio::io_context& io, boost::asio::awaitable<T> task,
              std::chrono::seconds bound = std::chrono::seconds(60)) {
  io.restart();
  std::future<T> result = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
  io.run_for(bound);
  if (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
    throw std::runtime_error("the operation did not finish within the test's bound");
  return result.get();
}

// A child process, stopped (SIGTERM, then SIGKILL after 5 s) when the object goes.
class PeerProcess {
 public:
  PeerProcess() = default;
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;
  ~PeerProcess() { stop(); }

  // Starts argv[0] (a path) with stdout on a pipe and stderr into `stderr_file`.
  void start(const std::vector<std::string>& argv, const std::string& stderr_file) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int rc = posix_spawn(&pid_, argv[0].c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    stdout_fd_ = pipe_fds[0];
    if (rc != 0) {
      pid_ = -1;
      throw std::runtime_error("cannot start " + argv[0]);
    }
  }

  // Waits for a stdout line starting with "ready"; returns it, or throws after `bound`.
  std::string wait_ready(std::chrono::seconds bound) {
    auto deadline = std::chrono::steady_clock::now() + bound;
    std::string seen;
    for (;;) {
      size_t newline = seen.find('\n');
      if (newline != std::string::npos) {
        std::string line = seen.substr(0, newline);
        if (line.rfind("ready", 0) == 0) return line;
        seen.erase(0, newline + 1);
        continue;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) throw std::runtime_error("peer not ready in time");
      pollfd p{stdout_fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[512];
      ssize_t n = read(stdout_fd_, buffer, sizeof buffer);
      if (n <= 0) throw std::runtime_error("peer exited before it was ready");
      seen.append(buffer, static_cast<size_t>(n));
    }
  }

  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      int status = 0;
      while (waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
          kill(pid_, SIGKILL);
          waitpid(pid_, &status, 0);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      pid_ = -1;
    }
    if (stdout_fd_ >= 0) close(stdout_fd_);
    stdout_fd_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline bool python_has_aiosmtpd() {
  return std::system("/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1") == 0;
}

// tests/peers/smtp_receiver.py on 127.0.0.1, a free port, its own output directory.
class SmtpReceiver {
 public:
  struct Message {
    std::string data;  // the octets received, dot-stuffing undone
    nlohmann::json envelope;
  };

  explicit SmtpReceiver(std::vector<std::string> options) {
    std::filesystem::create_directories(dir_.path() / "out");
    std::vector<std::string> argv = {"/usr/bin/python3",
                                     (source_dir() / "tests/peers/smtp_receiver.py").string(),
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--out",
                                     (dir_.path() / "out").string()};
    argv.insert(argv.end(), options.begin(), options.end());
    process_.start(argv, dir_.file("stderr.log"));
    std::string ready = process_.wait_ready(std::chrono::seconds(20));
    port_ = static_cast<uint16_t>(std::stoi(ready.substr(ready.rfind(':') + 1)));
  }

  boost::asio::ip::tcp::endpoint endpoint() const {
    return {boost::asio::ip::make_address("127.0.0.1"), port_};
  }

  // Messages written so far, in arrival order (the files are complete once the JSON exists).
  std::vector<Message> messages() const {
    std::vector<Message> out;
    for (int n = 1;; ++n) {
      auto json = dir_.path() / "out" / (std::to_string(n) + ".json");
      if (!std::filesystem::exists(json)) break;
      out.push_back({read_file(dir_.path() / "out" / (std::to_string(n) + ".eml")),
                     nlohmann::json::parse(read_file(json))});
    }
    return out;
  }

  // Every command line received, "<client port> <line>" each.
  std::string commands() const { return read_file(dir_.path() / "out" / "commands.log"); }
  std::string stderr_log() const { return read_file(dir_.path() / "stderr.log"); }

 private:
  TempDir dir_;
  PeerProcess process_;
  uint16_t port_ = 0;
};

// A port nothing listens on right now (bound, read, released).
inline uint16_t unused_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("cannot find a free loopback port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

// Postfix's smtp-sink on 127.0.0.1, dumping each message into its directory.
class SmtpSink {
 public:
  explicit SmtpSink(std::vector<std::string> options) {
    // smtp-sink drops privileges to -u when started as root; that user writes the dumps.
    std::filesystem::permissions(dir_.path(), std::filesystem::perms::all);
    port_ = unused_loopback_port();
    std::vector<std::string> argv = {"/usr/sbin/smtp-sink", "-d", dir_.file("msg.")};
    if (geteuid() == 0) argv.insert(argv.end(), {"-u", "nobody"});
    argv.insert(argv.end(), options.begin(), options.end());
    argv.insert(argv.end(), {"127.0.0.1:" + std::to_string(port_), "16"});
    process_.start(argv, dir_.file("stderr.log"));
    wait_listening(std::chrono::seconds(10));
  }

  boost::asio::ip::tcp::endpoint endpoint() const {
    return {boost::asio::ip::make_address("127.0.0.1"), port_};
  }

  // The dumped messages (smtp-sink's format: its X- headers, then the message with LF ends).
  std::vector<std::string> dumps() const {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path()))
      if (entry.path().filename().string().rfind("msg.", 0) == 0)
        out.push_back(read_file(entry.path()));
    return out;
  }

 private:
  void wait_listening(std::chrono::seconds bound) {
    auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(port_);
      bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
      close(fd);
      if (ok) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("smtp-sink did not listen in time");
  }

  TempDir dir_;
  PeerProcess process_;
  uint16_t port_ = 0;
};

}  // namespace pw::test
