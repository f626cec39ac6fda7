// Every client is a stranger: the real discrecd, attacked over its socket
// while a live recording runs. Each attack must fail cleanly, the live
// recording must not notice (no missed deadline, no shed byte), and nothing
// a client sends may leave a disc that cannot be finalized.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

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
    if (!have_program("ffmpeg")) GTEST_SKIP() << "ffmpeg is not installed";
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
  // Room for two 16 MiB rings (each booked with its records, ~18 MiB).
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

}  // namespace
}  // namespace discrec::test
