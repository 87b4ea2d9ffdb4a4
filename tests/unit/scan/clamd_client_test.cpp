// Proves the clamd client (F-AV): address and reply parsing; the INSTREAM framing, checked by a
// test peer on a Unix socket that reassembles the chunks (a test peer, not clamd: it also plays
// the misbehaving clamd that never answers or cuts the stream); and the real clamd, started
// here with a database written by the test (the EICAR test file by its MD5, and a marker
// string), over its Unix socket and TCP, including the latency of 200 scans of a 100 KB message.
#include "scan/clamd_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "../store/temp_dir.hpp"

extern char** environ;

namespace pw::scan {
namespace {

using Clock = std::chrono::steady_clock;

int64_t ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// ---- parsing --------------------------------------------------------------------------------

TEST(ClamdClient, ParsesAddresses) {
  auto unix_socket = parse_clamd_address("/run/clamav/clamd.ctl");
  ASSERT_TRUE(unix_socket);
  EXPECT_TRUE(unix_socket->unix_socket);
  EXPECT_EQ(unix_socket->path, "/run/clamav/clamd.ctl");
  auto tcp = parse_clamd_address("127.0.0.1:3310");
  ASSERT_TRUE(tcp);
  EXPECT_FALSE(tcp->unix_socket);
  EXPECT_EQ(tcp->host, "127.0.0.1");
  EXPECT_EQ(tcp->port, "3310");
  auto v6 = parse_clamd_address("[::1]:3310");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  for (const char* bad : {"", "clamd.sock", "host:", ":3310", "host:0", "host:65536", "host:x1",
                          "relative/path:12", "[::1]", "[::1]x3310", "::1:3310", "[::1:3310"}) {
    auto r = parse_clamd_address(bad);
    EXPECT_FALSE(r) << bad;
  }
  EXPECT_FALSE(parse_clamd_address("/" + std::string(200, 'a')));
}

TEST(ClamdClient, ParsesReplies) {
  EXPECT_TRUE(parse_instream_reply(std::string("stream: OK\0", 11)).clean());
  auto found = parse_instream_reply("stream: Eicar-Test-Signature.UNOFFICIAL FOUND");
  ASSERT_TRUE(found.infected());
  EXPECT_EQ(found.signature, "Eicar-Test-Signature.UNOFFICIAL");
  auto limit = parse_instream_reply("INSTREAM size limit exceeded. ERROR");
  ASSERT_TRUE(limit.failed());
  EXPECT_EQ(limit.error, "clamd: INSTREAM size limit exceeded");
  auto error = parse_instream_reply("stream: Can't allocate memory ERROR\n");
  ASSERT_TRUE(error.failed());
  EXPECT_EQ(error.error, "clamd: Can't allocate memory");
  for (const char* odd : {"", "stream:", "stream: FOUND", "PONG", "stream: OKAY"}) {
    auto r = parse_instream_reply(odd);
    EXPECT_TRUE(r.failed()) << odd;
    EXPECT_FALSE(r.error.empty()) << odd;
  }
  // A signature name is one printable line whatever clamd sends.
  auto odd_name = parse_instream_reply("stream: A\r\x01" + std::string(300, 'n') + " FOUND");
  ASSERT_TRUE(odd_name.infected());
  EXPECT_EQ(odd_name.signature.size(), 200u);
  EXPECT_EQ(odd_name.signature.find_first_of("\r\x01"), std::string::npos);
}

// ---- a test peer on a Unix socket -----------------------------------------------------------

// A one-connection test peer: listens on `path`, then runs `serve` on the accepted socket.
class TestPeer {
 public:
  template <class Fn>
  TestPeer(const std::string& path, Fn serve) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::strncpy(sun.sun_path, path.c_str(), sizeof sun.sun_path - 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0 || ::listen(fd_, 4) != 0)
      throw std::runtime_error("test peer cannot listen on " + path);
    thread_ = std::thread([this, serve] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      serve(c);
      ::close(c);
    });
  }
  ~TestPeer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }

 private:
  int fd_ = -1;
  std::thread thread_;
};

bool read_exactly(int fd, char* out, size_t n) {
  while (n > 0) {
    ssize_t r = ::recv(fd, out, n, 0);
    if (r <= 0) return false;
    out += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// What the framing peer saw.
struct Framing {
  std::string command;
  std::string data;
  std::vector<uint32_t> chunks;
  bool terminated = false;
};

// Reads "zINSTREAM\0" and the chunks as clamd does, then answers `reply` (with its NUL).
void serve_instream(int c, Framing* seen, std::string reply) {
  char command[10];
  if (!read_exactly(c, command, sizeof command)) return;
  seen->command.assign(command, sizeof command);
  for (int guard = 0; guard < 100000; ++guard) {
    uint32_t length;
    if (!read_exactly(c, reinterpret_cast<char*>(&length), 4)) return;
    length = ntohl(length);
    if (length == 0) {
      seen->terminated = true;
      break;
    }
    seen->chunks.push_back(length);
    std::string chunk(length, '\0');
    if (!read_exactly(c, chunk.data(), length)) return;
    seen->data += chunk;
  }
  reply.push_back('\0');
  ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
}

ClamdOptions options_for(const std::string& address) {
  ClamdOptions o;
  o.address = address;
  o.connect_timeout_ms = 1000;
  o.timeout_ms = 5000;
  o.max_stream_bytes = 1 << 20;
  o.chunk_bytes = 4096;
  return o;
}

TEST(ClamdClient, SendsTheMessageInFramedChunksAndReadsTheVerdict) {
  test::TempDir dir;
  const std::string path = dir.file("peer.sock");
  std::string message(200 * 1024 + 17, '\0');
  for (size_t i = 0; i < message.size(); ++i) message[i] = static_cast<char>(i * 7 + 3);
  Framing seen;
  {
    TestPeer peer(path, [&seen](int c) { serve_instream(c, &seen, "stream: Test.Sig FOUND"); });
    auto result = clamd_scan(options_for(path), message);
    ASSERT_TRUE(result.infected()) << result.error;
    EXPECT_EQ(result.signature, "Test.Sig");
  }
  EXPECT_EQ(seen.command, std::string("zINSTREAM\0", 10));
  EXPECT_TRUE(seen.terminated);
  EXPECT_EQ(seen.data, message);
  ASSERT_EQ(seen.chunks.size(), 51u);  // 50 full chunks of 4096 and the rest
  EXPECT_TRUE(std::all_of(seen.chunks.begin(), seen.chunks.end() - 1,
                          [](uint32_t n) { return n == 4096; }));
  EXPECT_EQ(seen.chunks.back(), 17u);
}

TEST(ClamdClient, AnEmptyMessageIsOnlyTheTerminator) {
  test::TempDir dir;
  const std::string path = dir.file("peer.sock");
  Framing seen;
  {
    TestPeer peer(path, [&seen](int c) { serve_instream(c, &seen, "stream: OK"); });
    EXPECT_TRUE(clamd_scan(options_for(path), "").clean());
  }
  EXPECT_TRUE(seen.terminated);
  EXPECT_TRUE(seen.chunks.empty());
}

TEST(ClamdClient, NobodyListeningIsAnErrorAtOnce) {
  test::TempDir dir;
  auto start = Clock::now();
  auto result = clamd_scan(options_for(dir.file("nothing.sock")), "hello");
  ASSERT_TRUE(result.failed());
  EXPECT_NE(result.error.find("cannot connect to clamd"), std::string::npos) << result.error;
  EXPECT_LT(ms_since(start), 1000);
  EXPECT_FALSE(clamd_ping(options_for(dir.file("nothing.sock"))));
  // TCP: a loopback port nobody listens on (bound, never listening).
  int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sin;
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&sin), len), 0);
  ASSERT_EQ(::getsockname(holder, reinterpret_cast<sockaddr*>(&sin), &len), 0);
  auto tcp = clamd_scan(options_for("127.0.0.1:" + std::to_string(ntohs(sin.sin_port))), "x");
  ::close(holder);
  ASSERT_TRUE(tcp.failed());
  EXPECT_NE(tcp.error.find("Connection refused"), std::string::npos) << tcp.error;
}

TEST(ClamdClient, AMessageOverTheStreamLimitIsAnErrorUnsent) {
  auto o = options_for("/nonexistent/never-connected.sock");
  o.max_stream_bytes = 1000;
  auto result = clamd_scan(o, std::string(1001, 'x'));
  ASSERT_TRUE(result.failed());
  EXPECT_NE(result.error.find("max_stream_bytes"), std::string::npos) << result.error;
}

// Misbehaving peer: accepts, reads everything, never answers.
TEST(ClamdClient, APeerThatNeverAnswersTimesOutWithinTheDeadline) {
  test::TempDir dir;
  const std::string path = dir.file("silent.sock");
  std::atomic<bool> done{false};
  TestPeer peer(path, [&done](int c) {
    char buffer[4096];
    auto until = Clock::now() + std::chrono::seconds(10);
    while (!done && Clock::now() < until) {
      ssize_t r = ::recv(c, buffer, sizeof buffer, MSG_DONTWAIT);
      if (r == 0) break;
      if (r < 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  auto o = options_for(path);
  o.timeout_ms = 300;
  auto start = Clock::now();
  auto result = clamd_scan(o, std::string(10000, 'a'));
  int64_t took = ms_since(start);
  done = true;
  ASSERT_TRUE(result.failed());
  EXPECT_NE(result.error.find("did not answer within 300 ms"), std::string::npos) << result.error;
  EXPECT_GE(took, 290);
  EXPECT_LT(took, 1500);
}

// Misbehaving peer: stops reading after the command (its buffers fill), never answers: the
// client's send is bounded by the same deadline.
TEST(ClamdClient, APeerThatStopsReadingTimesOutWhileSending) {
  test::TempDir dir;
  const std::string path = dir.file("stuck.sock");
  std::atomic<bool> done{false};
  TestPeer peer(path, [&done](int) {
    auto until = Clock::now() + std::chrono::seconds(10);
    while (!done && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  auto o = options_for(path);
  o.timeout_ms = 300;
  o.max_stream_bytes = 64 << 20;
  auto start = Clock::now();
  auto result = clamd_scan(o, std::string(32 << 20, 'a'));
  int64_t took = ms_since(start);
  done = true;
  ASSERT_TRUE(result.failed());
  EXPECT_NE(result.error.find("within 300 ms"), std::string::npos) << result.error;
  EXPECT_LT(took, 1500);
}

// As clamd does past StreamMaxLength: answer the error in the middle of the stream and close.
TEST(ClamdClient, TheSizeLimitReplyInTheMiddleOfTheStreamIsAnError) {
  test::TempDir dir;
  const std::string path = dir.file("limit.sock");
  TestPeer peer(path, [](int c) {
    std::string buffer(8192, '\0');
    read_exactly(c, buffer.data(), buffer.size());
    static constexpr char kReply[] = "INSTREAM size limit exceeded. ERROR";
    ::send(c, kReply, sizeof kReply, MSG_NOSIGNAL);
    ::shutdown(c, SHUT_WR);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  });
  auto o = options_for(path);
  o.max_stream_bytes = 8 << 20;
  auto result = clamd_scan(o, std::string(4 << 20, 'b'));
  ASSERT_TRUE(result.failed());
  EXPECT_EQ(result.error, "clamd: INSTREAM size limit exceeded");
}

TEST(ClamdClient, PingExpectsPong) {
  test::TempDir dir;
  const std::string path = dir.file("ping.sock");
  std::string command;
  {
    TestPeer peer(path, [&command](int c) {
      char buffer[6];
      if (read_exactly(c, buffer, sizeof buffer)) command.assign(buffer, sizeof buffer);
      ::send(c, "PONG", 5, MSG_NOSIGNAL);
    });
    EXPECT_TRUE(clamd_ping(options_for(path)));
  }
  EXPECT_EQ(command, std::string("zPING\0", 6));
}

// ---- the real clamd --------------------------------------------------------------------------

constexpr std::string_view kEicar =
    "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
constexpr std::string_view kMarker = "POSTWARDEN-TEST-MARKER-7f3a";

std::string hex(std::string_view text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::string mime_with_attachment(std::string_view attachment, size_t text_bytes) {
  std::string body;
  while (body.size() < text_bytes) body += "The quick brown fox jumps over the lazy dog.\r\n";
  return "From: <a@sender.test>\r\nTo: <b@dest.test>\r\nSubject: scan\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n"
         "Content-Type: text/plain\r\n\r\n" +
         body +
         "\r\n--b1\r\nContent-Type: application/octet-stream; name=\"f.com\"\r\n"
         "Content-Transfer-Encoding: base64\r\n"
         "Content-Disposition: attachment; filename=\"f.com\"\r\n\r\n" +
         base64(attachment) + "\r\n--b1--\r\n";
}

// clamd with a test database, in the foreground, stopped with SIGTERM.
class RealClamd {
 public:
  explicit RealClamd(const test::TempDir& dir)
      : socket_(dir.file("clamd.sock")), tcp_port_(free_tcp_port()) {
    std::filesystem::create_directories(dir.path() / "db");
    // The EICAR test file by MD5 and size (as ClamAV's own database lists it), the marker by
    // content anywhere in any file.
    std::ofstream(dir.path() / "db" / "test.hdb")
        << "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n";
    std::ofstream(dir.path() / "db" / "test.ndb")
        << "Postwarden.Test.Marker:0:*:" << hex(kMarker) << "\n";
    std::ofstream(dir.path() / "clamd.conf")
        << "Foreground yes\nLocalSocket " << socket_ << "\nDatabaseDirectory "
        << (dir.path() / "db").string() << "\nLogFile " << dir.file("clamd.log")
        << "\nUser root\nStreamMaxLength 2M\nPidFile " << dir.file("clamd.pid")
        << "\nTCPAddr 127.0.0.1\nTCPSocket " << tcp_port_ << "\n";
    std::string conf = dir.file("clamd.conf");
    std::vector<char*> argv = {const_cast<char*>("/usr/sbin/clamd"), const_cast<char*>("-c"),
                               conf.data(), nullptr};
    if (::posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
  }
  ~RealClamd() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status;
    ::waitpid(pid_, &status, 0);
  }
  bool spawned() const { return pid_ > 0; }
  const std::string& socket() const { return socket_; }
  std::string tcp_address() const { return "127.0.0.1:" + std::to_string(tcp_port_); }

 private:
  static int free_tcp_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sin;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sin), len) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len) == 0)
      port = ntohs(sin.sin_port);
    ::close(fd);
    return port;
  }

  std::string socket_;
  int tcp_port_;
  pid_t pid_ = -1;
};

TEST(ClamdClientRealDaemon, FindsEicarAndTheMarkerPassesCleanMailAndTimesScans) {
  ASSERT_EQ(::access("/usr/sbin/clamd", X_OK), 0) << "clamav-daemon is not installed";
  test::TempDir dir;
  auto start = Clock::now();
  RealClamd clamd(dir);
  ASSERT_TRUE(clamd.spawned());
  auto o = options_for(clamd.socket());
  o.timeout_ms = 10000;
  o.max_stream_bytes = 2 << 20;
  o.chunk_bytes = 65536;
  bool up = false;
  for (int i = 0; i < 500 && ms_since(start) < 30000 && !up; ++i) {
    up = static_cast<bool>(clamd_ping(o));
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(up) << "clamd did not answer PING within 30 s";
  std::printf("[ clamd    ] started and answered PING in %lld ms\n",
              static_cast<long long>(ms_since(start)));

  auto eicar = clamd_scan(o, mime_with_attachment(kEicar, 100));
  ASSERT_TRUE(eicar.infected()) << eicar.error;
  EXPECT_EQ(eicar.signature, "Eicar-Test-Signature.UNOFFICIAL");
  auto marker = clamd_scan(o, "Subject: x\r\n\r\nsome text " + std::string(kMarker) + "\r\n");
  ASSERT_TRUE(marker.infected()) << marker.error;
  EXPECT_EQ(marker.signature, "Postwarden.Test.Marker.UNOFFICIAL");
  // The same clamd over TCP (host:port).
  auto tcp = o;
  tcp.address = clamd.tcp_address();
  EXPECT_TRUE(clamd_ping(tcp));
  auto over_tcp = clamd_scan(tcp, mime_with_attachment(kEicar, 100));
  ASSERT_TRUE(over_tcp.infected()) << over_tcp.error;
  EXPECT_EQ(over_tcp.signature, "Eicar-Test-Signature.UNOFFICIAL");
  // EICAR with one byte more is another file: the MD5 signature no longer matches.
  auto near_miss = clamd_scan(o, mime_with_attachment(std::string(kEicar) + "\n", 100));
  EXPECT_TRUE(near_miss.clean()) << near_miss.error << near_miss.signature;
  // Over clamd's StreamMaxLength (2M here) while our limit is higher: clamd's error.
  o.max_stream_bytes = 8 << 20;
  auto too_long = clamd_scan(o, std::string(3 << 20, 'c'));
  ASSERT_TRUE(too_long.failed());
  EXPECT_NE(too_long.error.find("size limit"), std::string::npos) << too_long.error;

  // Latency: 200 clean messages of about 100 KB with a small attachment.
  const std::string message = mime_with_attachment("just a small attachment", 100 * 1024);
  std::vector<int64_t> micros;
  for (int i = 0; i < 200; ++i) {
    auto t = Clock::now();
    auto r = clamd_scan(o, message);
    micros.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t).count());
    ASSERT_TRUE(r.clean()) << r.error << r.signature;
  }
  std::sort(micros.begin(), micros.end());
  int64_t sum = 0;
  for (auto m : micros) sum += m;
  std::printf(
      "[ clamd    ] INSTREAM of %zu bytes, 200 scans: mean %.2f ms, median %.2f ms, "
      "p95 %.2f ms, max %.2f ms\n",
      message.size(), static_cast<double>(sum) / 200 / 1000.0, micros[100] / 1000.0,
      micros[190] / 1000.0, micros.back() / 1000.0);
}

}  // namespace
}  // namespace pw::scan
