#include "daemon/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace discrec::daemon {
namespace {

using namespace std::chrono_literals;

// A raw TCP client: the tests send what a scraper (or a hostile peer) would.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool send(const std::string& s) { return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size()); }
  // What arrives until the peer closes, `want` bytes of it arrived after a
  // blank line (a whole response), or `timeout` passes.
  std::string receive(std::chrono::milliseconds timeout, bool until_close = false) {
    std::string out;
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return out;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return out;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        return out;
      }
      out.append(buf, static_cast<size_t>(n));
      if (!until_close && complete(out)) return out;
    }
  }
  bool closed() const { return closed_; }

 private:
  static bool complete(const std::string& r) {
    const auto head = r.find("\r\n\r\n");
    if (head == std::string::npos) return false;
    const auto cl = r.find("Content-Length: ");
    if (cl == std::string::npos || cl > head) return true;
    return r.size() >= head + 4 + std::stoul(r.substr(cl + 16));
  }
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
};

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MetricsServerOptions options;
    options.port = 0;
    options.max_connections = 2;
    options.max_request_bytes = 1024;
    options.timeout = 500ms;
    auto started = MetricsServer::start(options, [this] {
      ++renders_;
      return std::string("discrec_up 1\n");
    });
    ASSERT_TRUE(started.ok()) << started.error().to_string();
    server_ = std::move(started).value();
    ASSERT_NE(server_->port(), 0);
  }

  std::string get(const std::string& request) {
    Client c(server_->port());
    EXPECT_TRUE(c.connected());
    EXPECT_TRUE(c.send(request));
    return c.receive(2s);
  }

  std::atomic<int> renders_{0};
  std::unique_ptr<MetricsServer> server_;
};

TEST_F(MetricsServerTest, AnswersGetMetricsOnly) {
  const std::string ok = get("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(ok.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << ok;
  EXPECT_NE(ok.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), std::string::npos) << ok;
  EXPECT_NE(ok.find("\r\n\r\ndiscrec_up 1\n"), std::string::npos) << ok;
  EXPECT_EQ(renders_.load(), 1);

  EXPECT_EQ(get("GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n").rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(get("GET / HTTP/1.1\r\nHost: x\r\n\r\n").rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(get("GET /metrics/../etc HTTP/1.1\r\nHost: x\r\n\r\n").rfind("HTTP/1.1 404", 0), 0u);
  const std::string post = get("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.rfind("HTTP/1.1 405", 0), 0u) << post;
  EXPECT_NE(post.find("Allow: GET\r\n"), std::string::npos) << post;
  EXPECT_EQ(renders_.load(), 2) << "only GET /metrics renders";
}

TEST_F(MetricsServerTest, KeepAliveServesRequestsInTurn) {
  Client c(server_->port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_EQ(c.receive(2s).rfind("HTTP/1.1 200", 0), 0u) << i;
  }
  ASSERT_TRUE(c.send("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(c.receive(2s, true).rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_TRUE(c.closed());
}

TEST_F(MetricsServerTest, HostileScrapersAreBounded) {
  // A head over max_request_bytes, a body, junk: closed without an answer.
  {
    Client c(server_->port());
    c.send("GET /metrics HTTP/1.1\r\nX: " + std::string(4000, 'a') + "\r\n\r\n");
    EXPECT_EQ(c.receive(2s, true), "");
    EXPECT_TRUE(c.closed());
  }
  {
    Client c(server_->port());
    c.send("GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
    EXPECT_EQ(c.receive(2s, true), "");
    EXPECT_TRUE(c.closed());
  }
  {
    Client c(server_->port());
    c.send("\x16\x03\x01 not http\r\n\r\n");
    EXPECT_EQ(c.receive(2s, true), "");
    EXPECT_TRUE(c.closed());
  }
  // Idle connections (half a request) take the two places; a third is
  // turned away at once, and they are closed after the timeout.
  Client idle1(server_->port()), idle2(server_->port());
  idle1.send("GET /met");
  idle2.send("GET /metrics HTTP/1.1\r\n");
  std::this_thread::sleep_for(100ms);
  {
    Client third(server_->port());
    third.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(third.receive(2s, true), "");
    EXPECT_TRUE(third.closed());
  }
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(idle1.receive(3s, true), "");
  EXPECT_TRUE(idle1.closed());
  EXPECT_EQ(idle2.receive(3s, true), "");
  EXPECT_TRUE(idle2.closed());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  // The places are free again.
  EXPECT_EQ(get("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").rfind("HTTP/1.1 200", 0), 0u);
}

TEST_F(MetricsServerTest, StopEndsOpenConnections) {
  Client idle(server_->port());
  idle.send("GET /met");
  std::this_thread::sleep_for(50ms);
  const auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 400ms) << "stop waited for the idle peer";
  idle.receive(1s, true);
  EXPECT_TRUE(idle.closed());
  Client after(server_->port());
  EXPECT_FALSE(after.connected());
}

TEST(MetricsServerStartTest, RefusesWhatItCannotBind) {
  MetricsServerOptions options;
  options.host = "localhost";
  auto named = MetricsServer::start(options, [] { return std::string(); });
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.error().code(), ErrorCode::kInvalidArgument);

  options.host = "127.0.0.1";
  options.port = 0;
  auto first = MetricsServer::start(options, [] { return std::string(); });
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  options.port = (*first)->port();
  auto second = MetricsServer::start(options, [] { return std::string(); });
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(second.error().message().find("127.0.0.1:" + std::to_string(options.port)), std::string::npos)
      << second.error().message();
}

}  // namespace
}  // namespace discrec::daemon
