// discrecd's metrics as Prometheus sees them: a real discrecd records a live
// UDP stream while Debian's prometheus server scrapes it once a second, with
// the shipped alert rules loaded; the test asks Prometheus' HTTP API (not
// discrecd) and sees the recording's byte counter rise.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/integration/daemon/daemon_fixture.h"

namespace discrec::test {
namespace {

using namespace std::chrono_literals;

// A port nobody listens on now (the kernel's choice; free again at once).
uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c == '-' || c == '.') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// An HTTP/1.0 GET on 127.0.0.1 (no chunked answers); the body, or "" if it
// did not answer 200 within the timeout.
std::string http_get(uint16_t port, const std::string& target, std::chrono::milliseconds timeout = 5s) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string request = "GET " + target + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      const auto end = std::chrono::steady_clock::now() + timeout;
      for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
        pollfd p{fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
        char buf[8192];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        response.append(buf, static_cast<size_t>(n));
      }
    }
  }
  ::close(fd);
  if (response.rfind("HTTP/1.", 0) != 0 || response.find(" 200 ") != 8) return "";
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// An instant query through Prometheus' HTTP API: the JSON answer.
std::string query(uint16_t prometheus, const std::string& promql) {
  return http_get(prometheus, "/api/v1/query?query=" + url_encode(promql));
}

// The first sample's value in an instant query's answer; -1 if none.
double first_value(const std::string& json) {
  static const std::regex value(R"re("value":\[[0-9.e+]+,"([-0-9.e+]+)"\])re");
  std::smatch m;
  if (!std::regex_search(json, m, value)) return -1;
  return std::stod(m[1].str());
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_program("ffmpeg")) FAIL() << "ffmpeg is not installed (setup.sh installs it)";
    if (!have_program("prometheus")) FAIL() << "prometheus is not installed (setup.sh installs it)";
    std::string log;
    ASSERT_TRUE(make_test_stream(source_.file("src.ts"), 30, "libx264", 25, "320x240", &log)) << log;
  }
  TempDir source_;
};

TEST_F(MetricsTest, PrometheusScrapesARecordingAndSeesItsBytesRise) {
  const uint16_t metrics_port = free_port();
  const uint16_t prometheus_port = free_port();
  ASSERT_NE(metrics_port, 0);
  ASSERT_NE(prometheus_port, 0);
  DaemonOptions options;
  options.extra_toml = "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(metrics_port) + "\"\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  EXPECT_NE(d.log_text().find("Prometheus metrics on http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics"),
            std::string::npos)
      << d.log_text();

  // Prometheus, scraping every second, with the shipped rules loaded.
  TempDir prom;
  {
    std::ofstream config(prom.file("prometheus.yml"));
    config << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
           << "rule_files:\n  - " << source_path("daemon/discrecd.rules.yml") << "\n"
           << "scrape_configs:\n  - job_name: discrecd\n    static_configs:\n      - targets: ['127.0.0.1:"
           << metrics_port << "']\n";
  }
  Process prometheus({"prometheus", "--config.file=" + prom.file("prometheus.yml"),
                      "--storage.tsdb.path=" + prom.file("data"),
                      "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)},
                     prom.file("prometheus.log"));

  v1::Recording rec;
  ASSERT_TRUE(start_recording(d, "drives/bd0", "udp://127.0.0.1:23480", 2'000'000, &rec, "cam \"A\"\\1").ok());
  Process sender({"ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", source_.file("src.ts"), "-c", "copy",
                  "-f", "mpegts", "udp://127.0.0.1:23480?pkt_size=1316"});
  const std::string id = rec.name().substr(rec.name().rfind('/') + 1);

  // Until Prometheus has scraped some bytes of the recording.
  const std::string counter = "discrec_recording_bytes_written_total{job=\"discrecd\",drive=\"bd0\"}";
  std::string answer;
  double first = -1;
  for (auto end = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(500ms)) {
    answer = query(prometheus_port, counter);
    first = first_value(answer);
    if (first > 0) break;
  }
  ASSERT_GT(first, 0) << answer << "\n" << read_file(prom.file("prometheus.log")) << d.log_text();
  EXPECT_NE(answer.find("\"recording\":\"" + id + "\""), std::string::npos) << answer;

  // A few scrapes later the counter is higher.
  double second = -1;
  for (auto end = std::chrono::steady_clock::now() + 15s; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(500ms)) {
    answer = query(prometheus_port, counter);
    second = first_value(answer);
    if (second > first) break;
  }
  EXPECT_GT(second, first) << answer;

  // The title went through label escaping and back intact; the target is
  // up; the drive records; the rules loaded and none of them fires.
  answer = query(prometheus_port, "discrec_recording_info");
  EXPECT_NE(answer.find(R"("title":"cam \"A\"\\1")"), std::string::npos) << answer;
  EXPECT_EQ(first_value(query(prometheus_port, "up{job=\"discrecd\"}")), 1);
  EXPECT_EQ(first_value(query(prometheus_port, "discrec_drive_disc_state{state=\"recording\"}")), 1);
  EXPECT_GT(first_value(query(prometheus_port, "rate(discrec_drive_bytes_written_total[5s])")), 0);
  const std::string rules = http_get(prometheus_port, "/api/v1/rules");
  for (const char* alert : {"DiscrecDown", "DiscrecDriveFallingBehind", "DiscrecShedding", "DiscrecLostExtents",
                            "DiscrecDiscNearlyFull"})
    EXPECT_NE(rules.find(std::string("\"name\":\"") + alert + "\""), std::string::npos) << alert << ": " << rules;
  EXPECT_EQ(rules.find("\"health\":\"err\""), std::string::npos) << rules;
  EXPECT_EQ(first_value(query(prometheus_port, "ALERTS{alertstate=\"firing\"}")), -1)
      << query(prometheus_port, "ALERTS");

  prometheus.signal(SIGTERM);
  EXPECT_GE(prometheus.wait(10s), 0);
  sender.signal(SIGTERM);
  sender.wait(5s);
  ASSERT_TRUE(stop_recording(d, rec.name()).ok());
}

}  // namespace
}  // namespace discrec::test
