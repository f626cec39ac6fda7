// The source policy against every way a client made the daemon open,
// connect to or reveal something it should not (see source_policy.h).
#include "recorder/ingest/source_policy.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "recorder/ingest/ingest.h"
#include "tests/recorder/ingest/ingest_test_support.h"

namespace discrec::recorder::ingest {
namespace {

namespace fs = std::filesystem;
using testing::make_temp_dir;
using testing::RecordingSink;

// Directories: allowed/ (with a clip, a FIFO and symlinks out) and outside/.
class SourcePolicyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = make_temp_dir("policy");
    allowed_ = root_ / "allowed";
    outside_ = root_ / "outside";
    fs::create_directories(allowed_ / "sub");
    fs::create_directories(outside_);
    std::ofstream(allowed_ / "clip.ts") << "not really a stream";
    std::ofstream(allowed_ / "sub" / "b.ts") << "b";
    std::ofstream(outside_ / "shadow") << "root:secret-hash:19000:0:99999:7:::";
    fs::create_symlink(outside_ / "shadow", allowed_ / "escape.ts");
    fs::create_symlink("../outside/shadow", allowed_ / "relative-escape.ts");
    fs::create_symlink("/dev/zero", allowed_ / "zero.ts");
    // Relative: RESOLVE_BENEATH refuses absolute symlinks, even into the directory.
    fs::create_symlink("sub/../clip.ts", allowed_ / "inside-link.ts");
    ASSERT_EQ(::mkfifo((allowed_ / "fifo.ts").c_str(), 0600), 0);
    policy_.directories = {allowed_.string()};
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string refusal(const std::string& url) const {
    return "source '" + url + "' is not permitted by the daemon's source policy (" +
           describe_source_policy(policy_) + ")";
  }
  void expect_refused_uniformly(const std::string& url) const {
    auto c = check_source(policy_, url);
    ASSERT_FALSE(c.ok()) << url;
    EXPECT_EQ(c.error().code(), ErrorCode::kPermissionDenied) << url;
    // The same words whether it exists, escapes, blocks or is a device.
    EXPECT_EQ(c.error().message(), refusal(url));
  }

  fs::path root_, allowed_, outside_;
  SourcePolicy policy_;
};

TEST_F(SourcePolicyFileTest, AcceptsARegularFileUnderAnAllowedDirectory) {
  for (std::string url : {(allowed_ / "clip.ts").string(), "file:" + (allowed_ / "clip.ts").string(),
                          "file://" + (allowed_ / "clip.ts").string(), (allowed_ / "." / "clip.ts").string(),
                          (allowed_ / "inside-link.ts").string()}) {
    auto c = check_source(policy_, url);
    ASSERT_TRUE(c.ok()) << url << ": " << c.error().to_string();
    EXPECT_EQ(c->kind, SourceKind::kFile);
    EXPECT_EQ(c->file_root, allowed_.string());
    EXPECT_EQ(c->file_path.find('/'), std::string::npos) << c->file_path;
  }
  auto sub = check_source(policy_, (allowed_ / "sub" / "b.ts").string());
  ASSERT_TRUE(sub.ok()) << sub.error().to_string();
  EXPECT_EQ(sub->file_path, "sub/b.ts");
  EXPECT_EQ(sub->open_url, (allowed_ / "sub" / "b.ts").string());
}

TEST_F(SourcePolicyFileTest, RefusesEverythingElseWithOneMessage) {
  expect_refused_uniformly((allowed_ / "missing.ts").string());
  expect_refused_uniformly((allowed_ / "escape.ts").string());           // absolute symlink out
  expect_refused_uniformly((allowed_ / "relative-escape.ts").string());  // relative symlink out
  expect_refused_uniformly((allowed_ / "zero.ts").string());             // a device
  expect_refused_uniformly((allowed_ / "fifo.ts").string());             // would block open() forever
  expect_refused_uniformly((allowed_ / "sub").string());                 // a directory
  expect_refused_uniformly(allowed_.string());
  expect_refused_uniformly((outside_ / "shadow").string());              // exists, outside
  expect_refused_uniformly("/etc/passwd");
  expect_refused_uniformly("/nonexistent/x.ts");
  expect_refused_uniformly(allowed_.string() + "-sibling/x.ts");         // a prefix, not a parent
}

TEST_F(SourcePolicyFileTest, NoDirectoriesMeansNoFiles) {
  policy_.directories.clear();
  expect_refused_uniformly((allowed_ / "clip.ts").string());
}

TEST_F(SourcePolicyFileTest, RefusesRelativePathsAndDotDot) {
  for (std::string url : {std::string("clip.ts"), std::string("./clip.ts"), std::string("file:clip.ts"), std::string("sub/b.ts"),
                          (allowed_ / ".." / "outside" / "shadow").string(),
                          (allowed_ / "sub" / ".." / "clip.ts").string(), std::string("file://host/etc/passwd")}) {
    auto c = check_source(policy_, url);
    ASSERT_FALSE(c.ok()) << url;
    EXPECT_EQ(c.error().code(), ErrorCode::kInvalidArgument) << url;
  }
}

TEST(SourcePolicyTest, RefusesTheDaemonsOwnDescriptors) {
  SourcePolicy policy;
  policy.directories = {"/"};
  for (const char* url : {"pipe:9", "pipe:", "pipe:0", "-", "fd:3", "fd:"}) {
    auto c = check_source(policy, url);
    ASSERT_FALSE(c.ok()) << url;
    EXPECT_EQ(c.error().code(), ErrorCode::kPermissionDenied) << url;
  }
}

TEST(SourcePolicyTest, RefusesFfmpegProtocolsWithoutSlashes) {
  SourcePolicy policy;
  for (const char* url : {"concat:/a.ts|/b.ts", "subfile:,,start,0,end,0,,:/etc/shadow", "data:,abc",
                          "ftp://example.com/a.ts", "gopher://x:70/", "unix:///run/x.sock"}) {
    auto c = check_source(policy, url);
    ASSERT_FALSE(c.ok()) << url;
    EXPECT_EQ(c.error().code(), ErrorCode::kInvalidArgument) << url;
  }
}

TEST(SourcePolicyTest, DefaultRefusesConnectsToUnlistedHostsAndSchemes) {
  SourcePolicy policy;
  for (const char* url : {"http://127.0.0.1:8080/", "https://192.168.1.2/live.ts", "tcp://127.0.0.1:5000",
                          "tcp://0.0.0.0:5000?listen=1", "rtsp://127.0.0.1:8554/cam", "rtsp://192.168.1.10/live",
                          "udp://127.0.0.1:5000", "rtp://10.0.0.1:5004", "srt://192.168.1.10:9000",
                          "rtsp://cam1.local/live", "udp://239.1.1.1:80", "rtsp://[::1]:554/x",
                          "rtsp://[::ffff:127.0.0.1]:554/x", "rtsp://0.0.0.0:554/x"}) {
    auto c = check_source(policy, url);
    ASSERT_FALSE(c.ok()) << url;
    EXPECT_EQ(c.error().code(), ErrorCode::kPermissionDenied) << url << ": " << c.error().to_string();
    EXPECT_NE(c.error().message().find("not permitted"), std::string::npos) << c.error().message();
  }
}

TEST(SourcePolicyTest, DefaultAcceptsMulticastGroupsAndPlainReception) {
  SourcePolicy policy;
  for (const char* url : {"udp://239.1.1.1:5000", "udp://@239.1.1.1:5000", "rtp://239.255.0.1:5004",
                          "udp://[ff02::1]:5000", "udp://:5000", "udp://0.0.0.0:5000",
                          "udp://239.1.1.1:5000?localaddr=192.168.1.2&sources=192.168.1.9",
                          "srt://239.1.1.1:9000?mode=caller&latency=200000"}) {
    auto c = check_source(policy, url);
    ASSERT_TRUE(c.ok()) << url << ": " << c.error().to_string();
    EXPECT_EQ(c->kind, SourceKind::kNetwork);
    EXPECT_FALSE(c->listen);
  }
}

TEST(SourcePolicyTest, UnicastNeedsAListedNetworkOrHostName) {
  SourcePolicy policy;
  policy.networks.push_back(*parse_ip_network("192.168.0.0/16"));
  policy.hosts = {"Cam1.local"};
  EXPECT_TRUE(check_source(policy, "rtsp://192.168.1.10/live").ok());
  EXPECT_TRUE(check_source(policy, "rtsp://[::ffff:192.168.1.10]/live").ok());
  EXPECT_TRUE(check_source(policy, "rtsp://cam1.LOCAL:8554/live").ok());
  EXPECT_FALSE(check_source(policy, "rtsp://cam2.local/live").ok());
  EXPECT_FALSE(check_source(policy, "rtsp://10.0.0.1/live").ok());
  // Numbers getaddrinfo would read as addresses are neither names nor addresses.
  for (const char* url : {"rtsp://127.1/x", "rtsp://2130706433/x", "rtsp://0x7f.1/x", "rtsp://192.168.1.10.:554/x"}) {
    auto c = check_source(policy, url);
    ASSERT_FALSE(c.ok()) << url;
    EXPECT_EQ(c.error().code(), ErrorCode::kInvalidArgument) << url;
  }
  policy.ports = {*parse_port_range("8554")};
  EXPECT_FALSE(check_source(policy, "rtsp://192.168.1.10/live").ok());  // 554 no longer allowed
  EXPECT_TRUE(check_source(policy, "rtsp://192.168.1.10:8554/live").ok());
}

TEST(SourcePolicyTest, ListeningOnlyWhereConfigured) {
  SourcePolicy policy;
  policy.schemes.push_back("tcp");
  policy.networks.push_back(*parse_ip_network("192.168.0.0/16"));
  for (const char* url : {"tcp://0.0.0.0:5000?listen=1", "tcp://192.168.1.2:5000?listen", "srt://:9000?mode=listener",
                          "srt://192.168.1.2:9000?mode=rendezvous"}) {
    auto c = check_source(policy, url);
    ASSERT_FALSE(c.ok()) << url;
    EXPECT_EQ(c.error().code(), ErrorCode::kPermissionDenied) << url;
  }
  policy.listen = true;
  policy.listen_addresses = {"192.168.1.2"};
  EXPECT_FALSE(check_source(policy, "tcp://0.0.0.0:5000?listen=1").ok());
  EXPECT_FALSE(check_source(policy, "tcp://:5000?listen=1").ok());
  EXPECT_FALSE(check_source(policy, "srt://:9000?mode=listener").ok());
  auto c = check_source(policy, "tcp://192.168.1.2:5000?listen=1");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_TRUE(c->listen);
  EXPECT_EQ(c->open_url, "tcp://192.168.1.2:5000?listen=1");
  policy.listen_addresses.push_back("0.0.0.0");
  EXPECT_TRUE(check_source(policy, "srt://:9000?mode=listener").ok());
}

TEST(SourcePolicyTest, FfmpegOptionsOnlyFromTheAllowList) {
  SourcePolicy policy;
  policy.networks.push_back(*parse_ip_network("192.168.0.0/16"));
  for (const char* url : {"udp://239.1.1.1:5000?fifo_size=1000000000", "udp://239.1.1.1:5000?buffer_size=99999999999",
                          "udp://239.1.1.1:5000?pkt_size=1&fifo_size=1", "rtp://239.1.1.1:5000?connect=1",
                          "srt://192.168.1.2:9000?rcvbuf=2000000000", "rtsp://192.168.1.2/live?multicast"}) {
    auto c = check_source(policy, url);
    ASSERT_FALSE(c.ok()) << url;
    EXPECT_EQ(c.error().code(), ErrorCode::kPermissionDenied) << url;
    EXPECT_NE(c.error().message().find("option '"), std::string::npos) << c.error().message();
  }
  auto twice = check_source(policy, "udp://239.1.1.1:5000?localaddr=1.2.3.4&localaddr=5.6.7.8");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code(), ErrorCode::kInvalidArgument);
  // An RTSP query is the camera's, except FFmpeg's own words.
  auto rtsp = check_source(policy, "rtsp://192.168.1.2/live?channel=1&subtype=0&tcp");
  ASSERT_TRUE(rtsp.ok()) << rtsp.error().to_string();
  EXPECT_EQ(rtsp->open_url, "rtsp://192.168.1.2/live?channel=1&subtype=0&tcp");
}

TEST(SourcePolicyTest, CredentialsNeverShown) {
  SourcePolicy policy;
  policy.networks.push_back(*parse_ip_network("192.168.0.0/16"));
  auto c = check_source(policy, "rtsp://admin:hunter2@192.168.1.10:554/live");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->open_url, "rtsp://admin:hunter2@192.168.1.10:554/live");  // the camera needs it
  EXPECT_EQ(c->display_url, "rtsp://admin:***@192.168.1.10:554/live");
  // Nor in a refusal.
  for (const char* url : {"rtsp://admin:hunter2@10.0.0.1/live", "http://admin:hunter2@192.168.1.10/x",
                          "rtsp://admin:hunter2@192.168.1.10/live?multicast",
                          "srt://192.168.1.10:9000?passphrase=hunter2&rcvbuf=1", "rtsp://admin:hunter2@@x/"}) {
    auto r = check_source(policy, url);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.error().message().find("hunter2"), std::string::npos) << r.error().message();
  }
  auto srt = check_source(policy, "srt://192.168.1.10:9000?passphrase=hunter2hunter2&latency=1000");
  ASSERT_TRUE(srt.ok()) << srt.error().to_string();
  EXPECT_EQ(srt->display_url, "srt://192.168.1.10:9000?passphrase=***&latency=1000");
}

TEST(SourcePolicyTest, RedactsPasswordsForDisplay) {
  EXPECT_EQ(redact_source_url("rtsp://user:pass@cam/live"), "rtsp://user:***@cam/live");
  EXPECT_EQ(redact_source_url("rtsp://user:p:a:s@cam/live?x=1"), "rtsp://user:***@cam/live?x=1");
  EXPECT_EQ(redact_source_url("rtsp://token@cam/live"), "rtsp://***@cam/live");
  EXPECT_EQ(redact_source_url("rtsp://cam/live"), "rtsp://cam/live");
  EXPECT_EQ(redact_source_url("http://cam/x?user=a&password=b&Passphrase=c"), "http://cam/x?user=a&password=***&Passphrase=***");
  EXPECT_EQ(redact_source_url("/srv/in/a.ts"), "/srv/in/a.ts");
  EXPECT_EQ(redact_source_url("rtsp://u:pw@cam/a@b"), "rtsp://u:***@cam/a@b");
}

TEST(SourcePolicyTest, RejectsControlCharactersAndMalformedUrls) {
  SourcePolicy policy;
  for (const char* url : {"udp://239.1.1.1:5000\n", "udp://239.1.1.1:5000\r", "", "udp://239.1.1.1",
                          "udp://239.1.1.1:0", "udp://239.1.1.1:65536", "udp://239.1.1.1:5000x",
                          "udp://u:p@239.1.1.1:5000", "udp://239.1.1.1:5000#frag", "rtsp://bad host/x",
                          "rtsp://[239.1.1.1]/x", "udp://239.1.1.1:5000/path", "UDP://239.1.1.1:5000"}) {
    auto c = check_source(policy, url);
    ASSERT_FALSE(c.ok()) << url;
    EXPECT_EQ(c.error().code(), ErrorCode::kInvalidArgument) << url << ": " << c.error().to_string();
  }
}

TEST(SourcePolicyTest, ParsesNetworksAndPorts) {
  auto n = parse_ip_network("10.1.0.0/16");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(to_string(*n), "10.1.0.0/16");
  EXPECT_EQ(to_string(*parse_ip_network("ff00::/8")), "ff00::/8");
  EXPECT_EQ(parse_ip_network("10.0.0.1")->prefix_length, 32);
  for (const char* bad : {"10.0.0.0/33", "10.0.0/8", "::/129", "host/8", "10.0.0.0/", "", "010.0.0.1"})
    EXPECT_FALSE(parse_ip_network(bad).ok()) << bad;
  EXPECT_EQ(*parse_port_range("5000-5999"), (PortRange{5000, 5999}));
  EXPECT_EQ(*parse_port_range("554"), (PortRange{554, 554}));
  for (const char* bad : {"0", "70000", "6000-5000", "a", "", "5000-"}) EXPECT_FALSE(parse_port_range(bad).ok()) << bad;
}

// Ingest itself opens a file beneath its directory and only a regular file:
// the check above is not the only gate (the file may change in between).
class IngestFileOpenTest : public SourcePolicyFileTest {
 protected:
  Status run(const std::string& name) {
    IngestOptions o;
    o.url = (allowed_ / name).string();
    o.file_root = allowed_.string();
    o.file_path = name;
    o.open_timeout = std::chrono::seconds(60);
    RecordingSink sink;
    Ingest ingest(o, sink, SteadyClock::instance());
    return ingest.run();
  }
};

TEST_F(IngestFileOpenTest, FifoIsRefusedAtOnce) {
  // A FIFO with no writer blocks open(2) forever; this returns.
  Status s = run("fifo.ts");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kPermissionDenied) << s.error().to_string();
}

TEST_F(IngestFileOpenTest, SymlinksOutAndDevicesAreRefused) {
  for (const char* name : {"escape.ts", "relative-escape.ts", "zero.ts", "sub"}) {
    Status s = run(name);
    ASSERT_FALSE(s.ok()) << name;
    EXPECT_EQ(s.error().code(), ErrorCode::kPermissionDenied) << name << ": " << s.error().to_string();
  }
  // A trusted path that is a FIFO is refused as well, not waited on.
  IngestOptions o;
  o.url = (allowed_ / "fifo.ts").string();
  RecordingSink sink;
  Ingest ingest(o, sink, SteadyClock::instance());
  Status s = ingest.run();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kPermissionDenied) << s.error().to_string();
}

}  // namespace
}  // namespace discrec::recorder::ingest
