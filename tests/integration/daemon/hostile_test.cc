// Every client is a stranger: the real discrecd, attacked over its socket
// while a live recording runs. Each attack must fail cleanly, the live
// recording must not notice (no missed deadline, no shed byte), and nothing
// a client sends may leave a disc that cannot be finalized.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include "tests/integration/daemon/daemon_fixture.h"

namespace discrec::test {
namespace {

class HostileClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_program("ffmpeg")) FAIL() << "ffmpeg is not installed (setup.sh installs it)";
    std::string log;
    ASSERT_TRUE(make_test_stream(source_.file("src.ts"), 4, "libx264", 25, "320x240", &log)) << log;
    source_frames_ = count_video_frames(source_.file("src.ts"));
    ASSERT_GT(source_frames_, 90);
  }

  // Sends src.ts to a UDP port at its own pace (as a camera would).
  std::unique_ptr<Process> udp_sender(int port) {
    return std::make_unique<Process>(std::vector<std::string>{
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", source_.file("src.ts"), "-c", "copy", "-f",
        "mpegts", "udp://127.0.0.1:" + std::to_string(port) + "?pkt_size=1316"});
  }

  grpc::Status finalize(Daemon& d, const std::string& label, bool force = false) {
    grpc::ClientContext ctx;
    v1::FinalizeDiscRequest req;
    req.set_name("drives/bd0");
    req.set_volume_label(label);
    req.set_close_disc(true);
    req.set_force(force);
    auto reader = d.discs->FinalizeDisc(&ctx, req);
    v1::DiscOperationProgress p;
    while (reader->Read(&p)) {
    }
    return reader->Finish();
  }

  grpc::Status format(Daemon& d, bool force) {
    grpc::ClientContext ctx;
    v1::FormatMediumRequest req;
    req.set_name("drives/bd0");
    req.set_force(force);
    v1::Drive out;
    return d.drives->FormatMedium(&ctx, req, &out);
  }

  grpc::Status list_page(Daemon& d, int32_t size, const std::string& token, v1::ListRecordingsResponse* out) {
    grpc::ClientContext ctx;
    v1::ListRecordingsRequest req;
    req.set_parent("drives/-");
    req.set_page_size(size);
    req.set_page_token(token);
    return d.recordings->ListRecordings(&ctx, req, out);
  }

  TempDir source_;
  int source_frames_ = 0;
};

// Before this daemon checked them on arrival, a label outside the BMP was
// journaled first and made every later finalize (and recovery) fail, and two
// titles that clean to the same file name in the same second ("a/b", "a:b")
// did the same with "duplicate name".
TEST_F(HostileClientTest, NothingAClientSendsCanMakeADiscUnfinishable) {
  Daemon d;
  ASSERT_TRUE(d.started()) << d.log_text();
  v1::Recording first, second;
  ASSERT_TRUE(start_recording(d, "drives/bd0", "udp://127.0.0.1:23411", 2'000'000, &first, "a/b").ok());
  ASSERT_TRUE(start_recording(d, "drives/bd0", "udp://127.0.0.1:23412", 2'000'000, &second, "a:b").ok());
  auto sender1 = udp_sender(23411);
  auto sender2 = udp_sender(23412);

  // While both record: a label the file system cannot hold, a finalize and a
  // format that would end the live recordings without being asked to.
  // (Bytes that are not UTF-8 at all never reach a handler: protobuf refuses them.)
  for (const char* label : {"cam\xf0\x9f\x98\x80", "this label is longer than thirty-one"}) {
    auto s = finalize(d, label);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << label << ": " << s.error_message();
  }
  auto live = finalize(d, "GOOD");
  EXPECT_EQ(live.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << live.error_message();
  EXPECT_NE(live.error_message().find("force"), std::string::npos) << live.error_message();
  EXPECT_EQ(format(d, false).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // Admission arithmetic and priorities out of range.
  v1::Recording refused;
  for (uint64_t bitrate : {~0ull, ~0ull - 350'000'000ull + 1, 10'000'000'001ull}) {
    auto s = start_recording(d, "drives/bd0", "udp://127.0.0.1:23413", bitrate, &refused);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bitrate << ": " << s.error_message();
  }
  for (int priority : {-1, 101, 2147483647}) {
    auto s = start_recording(d, "drives/bd0", "udp://127.0.0.1:23413", 1'000'000, &refused, "", priority);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << priority << ": " << s.error_message();
  }

  // Pages: one recording each, then the end; a forged token is refused.
  v1::ListRecordingsResponse page1, page2, bad;
  ASSERT_TRUE(list_page(d, 1, "", &page1).ok());
  ASSERT_EQ(page1.recordings_size(), 1);
  ASSERT_FALSE(page1.next_page_token().empty());
  ASSERT_TRUE(list_page(d, 1, page1.next_page_token(), &page2).ok());
  ASSERT_EQ(page2.recordings_size(), 1);
  EXPECT_TRUE(page2.next_page_token().empty());
  EXPECT_NE(page1.recordings(0).name(), page2.recordings(0).name());
  EXPECT_EQ(list_page(d, 1, "'; DROP", &bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(list_page(d, -5, "", &bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  EXPECT_EQ(sender1->wait(std::chrono::seconds(60)), 0);
  EXPECT_EQ(sender2->wait(std::chrono::seconds(60)), 0);
  for (const auto* r : {&first, &second}) {
    v1::Recording stopped;
    ASSERT_TRUE(stop_recording(d, r->name(), &stopped).ok());
    EXPECT_EQ(stopped.state(), v1::RECORDING_STATE_STOPPED) << stopped.DebugString();
    EXPECT_EQ(stopped.stats().missed_deadlines(), 0u);
    EXPECT_EQ(stopped.stats().shed_bytes(), 0u);
  }

  // The refused attempts left nothing behind: this finalize is the first.
  auto done = finalize(d, "GOOD");
  ASSERT_TRUE(done.ok()) << done.error_message() << d.log_text();
  TempDir out;
  auto files = extract_with_7z(d.image("bd0"), out.path());
  ASSERT_EQ(files.size(), 2u) << "both recordings, under names of their own";
  std::set<std::string> names;
  for (const auto& f : files) {
    names.insert(std::filesystem::path(f).filename().string());
    EXPECT_EQ(count_video_frames(f), source_frames_) << f;
  }
  EXPECT_EQ(names.size(), 2u);

  // A finalized BD-RE holds recordings: formatting it needs force.
  auto s = format(d, false);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  TempDir still;
  EXPECT_EQ(extract_with_7z(d.image("bd0"), still.path()).size(), 2u) << "the refused format erased nothing";
}

// A recording's ring goes back to the budget when StopRecording answers, so
// a client stopping and starting in a loop is never refused for memory that
// only a later clean-up would free; ListRecordings answers in pages however
// many recordings the disc has.
TEST_F(HostileClientTest, StartStopLoopsNeitherExhaustMemoryNorListings) {
  DaemonOptions options;
  // Room for two 16 MiB rings (each booked as exactly 16 MiB).
  options.extra_toml = "[limits]\nring_size = \"16MiB\"\nring_memory = \"40MiB\"\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  constexpr int kCycles = 120;
  for (int i = 0; i < kCycles; ++i) {
    v1::Recording r;
    auto s = start_recording(d, "drives/bd0", "udp://127.0.0.1:23420", 1'000'000, &r);
    ASSERT_TRUE(s.ok()) << "cycle " << i << ": " << s.error_message();
    v1::Recording stopped;
    ASSERT_TRUE(stop_recording(d, r.name(), &stopped).ok());
  }
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    v1::ListRecordingsResponse page;
    auto s = list_page(d, 50, token, &page);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (const auto& r : page.recordings()) seen.insert(r.name());
    token = page.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 100);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kCycles));
  EXPECT_EQ(pages, (kCycles + 49) / 50);
}

// `discrec record -` and `discrec record FILE` send the bytes themselves:
// the daemon records what the client could read, never a path it names.
TEST_F(HostileClientTest, TheClientSendsTheFileItRecords) {
  Daemon d;
  ASSERT_TRUE(d.started()) << d.log_text();
  const std::string cli = binary_path("clients/discrec") + " --socket " + d.socket();
  auto piped = run_command({"sh", "-c", cli + " record - --drive bd0 --title piped --bitrate 2000000 < " +
                                            source_.file("src.ts")});
  ASSERT_EQ(piped.exit_code, 0) << piped.output << d.log_text();
  auto named = d.cli({"record", source_.file("src.ts"), "--drive", "bd0", "--title", "named", "--bitrate", "2000000"});
  ASSERT_EQ(named.exit_code, 0) << named.output << d.log_text();
  auto list = list_recordings(d, "drives/bd0");
  ASSERT_EQ(list.recordings_size(), 2);
  const uint64_t source_bytes = std::filesystem::file_size(source_.file("src.ts"));
  for (const auto& r : list.recordings()) {
    EXPECT_EQ(r.state(), v1::RECORDING_STATE_STOPPED) << r.DebugString();
    EXPECT_EQ(r.source_url().rfind("upload:", 0), 0u) << r.source_url();
    EXPECT_EQ(r.stats().shed_bytes(), 0u);
    EXPECT_GT(r.stats().bytes_in(), source_bytes / 2) << "remuxed, not truncated";
  }
  auto done = finalize(d, "UPLOADS");
  ASSERT_TRUE(done.ok()) << done.error_message();
  TempDir out;
  auto files = extract_with_7z(d.image("bd0"), out.path());
  ASSERT_EQ(files.size(), 2u);
  for (const auto& f : files) EXPECT_EQ(count_video_frames(f), source_frames_) << f;

  // A client cannot send what it cannot read.
  auto missing = d.cli({"record", source_.file("nope.ts"), "--drive", "bd0"});
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("cannot read"), std::string::npos) << missing.output;
}

// The review's attacks, each made by a stranger (uid 65534) over the socket
// while a live recording runs: a member of the control group, then one
// with the observe role only. Every attack fails cleanly, reveals nothing,
// and the live recording misses no deadline and sheds nothing.
TEST_F(HostileClientTest, AStrangerCannotReachBeyondThePolicyOrDisturbALiveRecording) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to act as another uid";
  std::string log;
  ASSERT_TRUE(make_test_stream(source_.file("live.ts"), 12, "libx264", 25, "320x240", &log)) << log;

  // A secret the stranger cannot read, an inbox the policy allows, and in
  // it a FIFO and a link to the secret.
  TempDir secret, inbox;
  ::chmod(secret.path().c_str(), 0700);
  std::filesystem::copy_file(source_.file("src.ts"), secret.file("secret.ts"));
  ::chmod(secret.file("secret.ts").c_str(), 0600);
  ::chmod(inbox.path().c_str(), 0755);
  ASSERT_EQ(::mkfifo(inbox.file("fifo.ts").c_str(), 0666), 0);
  std::filesystem::create_symlink(secret.file("secret.ts"), inbox.file("link.ts"));

  DaemonOptions options;
  options.traversable_dir = true;
  options.sources_toml = "[sources]\nschemes = [\"udp\", \"rtsp\"]\nnetworks = [\"127.0.0.0/8\"]\n"
                         "directories = [\"" + inbox.path() + "\"]\n";
  options.extra_toml = "socket_mode = \"0666\"\nsocket_mode_force = true\n"
                       "[access]\nothers = \"observe\"\ncontrol_groups = [4242]\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  v1::Recording live;
  ASSERT_TRUE(start_recording(d, "drives/bd0", "udp://127.0.0.1:23431", 2'000'000, &live, "steady").ok());
  Process sender({"ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", source_.file("live.ts"), "-c", "copy",
                  "-f", "mpegts", "udp://127.0.0.1:23431?pkt_size=1316"});

  auto as = [&](const std::string& who, std::vector<std::string> call) {
    std::vector<std::string> argv = {binary_path("tests/integration/daemon/hostile_client"), "--socket", d.socket(),
                                     "--as", who};
    argv.insert(argv.end(), call.begin(), call.end());
    return run_command(argv, std::chrono::seconds(20));
  };
  const std::string control = "65534:65534:4242", observer = "65534:65534";
  auto expect = [&](const std::string& who, std::vector<std::string> call, const std::string& code) {
    auto r = as(who, call);
    EXPECT_EQ(r.output.rfind(code + " ", 0), 0u) << call[0] << " " << (call.size() > 2 ? call[2] : "") << ": "
                                                  << r.output;
    return r.output;
  };
  auto start = [&](const std::string& url) {
    return std::vector<std::string>{"start", "drives/bd0", url, "1000000", "0"};
  };

  // 1. Files: outside the policy, behind a link, a FIFO: one answer for all,
  //    which says nothing about whether the path exists.
  const std::string secret_said = expect(control, start(secret.file("secret.ts")), "PERMISSION_DENIED");
  const std::string missing_said = expect(control, start(secret.file("missing.ts")), "PERMISSION_DENIED");
  auto without_path = [](std::string text, const std::string& path) {
    for (size_t at; (at = text.find(path)) != std::string::npos;) text.erase(at, path.size());
    return text;
  };
  EXPECT_EQ(without_path(secret_said, secret.file("secret.ts")), without_path(missing_said, secret.file("missing.ts")));
  expect(control, start("file:" + secret.file("secret.ts")), "PERMISSION_DENIED");
  expect(control, start(inbox.file("link.ts")), "PERMISSION_DENIED");
  auto fifo_began = std::chrono::steady_clock::now();
  expect(control, start(inbox.file("fifo.ts")), "PERMISSION_DENIED");
  EXPECT_LT(std::chrono::steady_clock::now() - fifo_began, std::chrono::seconds(10)) << "a FIFO never blocks";
  expect(control, start("secret.ts"), "INVALID_ARGUMENT");  // relative: never against the daemon's cwd

  // 2. The daemon's own descriptors, and where it would connect or listen.
  for (const char* url : {"pipe:9", "pipe:", "-", "fd:3"}) EXPECT_EQ(as(control, start(url)).output.rfind("OK", 0), std::string::npos) << url;
  for (const char* url : {"http://127.0.0.1:1/x", "tcp://0.0.0.0:5555?listen=1", "udp://10.1.2.3:5000",
                          "udp://127.0.0.1:23432?fifo_size=1000000000"})
    EXPECT_EQ(as(control, start(url)).output.rfind("OK", 0), std::string::npos) << url;

  // 3. Credentials in a permitted URL are shown to nobody.
  const std::string with_password = expect(control, start("rtsp://cam:s3cr3tpw@127.0.0.1:8554/x"), "OK");
  EXPECT_EQ(with_password.find("s3cr3tpw"), std::string::npos) << with_password;
  EXPECT_EQ(as(observer, {"list", "drives/-", "50"}).output.find("s3cr3tpw"), std::string::npos);

  // 4. Arithmetic, ranges and the top of the priority range.
  expect(control, {"start", "drives/bd0", "udp://127.0.0.1:23433", "18446744073359551616", "0"}, "INVALID_ARGUMENT");
  expect(control, {"start", "drives/bd0", "udp://127.0.0.1:23433", "1000000", "2147483647"}, "INVALID_ARGUMENT");
  expect(control, {"start", "drives/bd0", "udp://127.0.0.1:23433", "1000000", "51"}, "PERMISSION_DENIED");

  // 5. Nothing durable from a bad label; nothing destructive without force
  //    and the right role.
  expect(control, {"finalize", "drives/bd0", "cam\xf0\x9f\x98\x80", "0"}, "INVALID_ARGUMENT");
  expect(control, {"finalize", "drives/bd0", "GOOD", "0"}, "FAILED_PRECONDITION");
  expect(control, {"format", "drives/bd0", "0"}, "FAILED_PRECONDITION");
  expect(control, {"format", "drives/bd0", "1"}, "PERMISSION_DENIED");
  expect(control, {"list", "drives/-", "1", "o-1"}, "INVALID_ARGUMENT");

  // 6. An observer may look, never touch.
  expect(observer, {"get-drive", "drives/bd0"}, "OK");
  expect(observer, start("udp://127.0.0.1:23434"), "PERMISSION_DENIED");
  expect(observer, {"stop", live.name()}, "PERMISSION_DENIED");

  // 7. A stranger holding more watch streams than its share leaves the
  //    others theirs.
  Process hog({binary_path("tests/integration/daemon/hostile_client"), "--socket", d.socket(), "--as", observer,
               "watch-hold", live.name(), "48", "4"},
              d.dir().file("hog.log"));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::WatchRecordingRequest req;
    req.set_name(live.name());
    auto reader = d.recordings->WatchRecording(&ctx, req);
    v1::Recording r;
    EXPECT_TRUE(reader->Read(&r)) << "the owner can still watch while a stranger hogs its share";
    ctx.TryCancel();
    reader->Finish();
  }
  EXPECT_EQ(hog.wait(std::chrono::seconds(30)), 0);
  const std::string hog_said = read_file(d.dir().file("hog.log"));
  EXPECT_EQ(hog_said.find("served 48 of 48"), std::string::npos) << hog_said;

  // The live recording never noticed.
  EXPECT_EQ(sender.wait(std::chrono::seconds(60)), 0);
  v1::Recording stopped;
  ASSERT_TRUE(stop_recording(d, live.name(), &stopped).ok());
  EXPECT_EQ(stopped.state(), v1::RECORDING_STATE_STOPPED) << stopped.DebugString();
  EXPECT_EQ(stopped.stats().missed_deadlines(), 0u) << stopped.DebugString();
  EXPECT_EQ(stopped.stats().shed_bytes(), 0u);
  EXPECT_TRUE(stopped.lost_extents().empty());
  EXPECT_FALSE(stopped.stats().over_declared_rate());
  // Only the recording with the password was ever started by the stranger.
  auto list = list_recordings(d, "drives/bd0");
  EXPECT_EQ(list.recordings_size(), 2) << list.DebugString();
  EXPECT_EQ(list.DebugString().find("s3cr3tpw"), std::string::npos);
}

}  // namespace
}  // namespace discrec::test
