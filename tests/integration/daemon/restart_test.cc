// A restart continues where it left off: with the real daemon on emulated
// drives, a disc that a SIGTERM (systemctl restart) or a SIGKILL left open
// stays open after the next start, lists its recordings as recovered,
// verifies against the journal's checksums, takes new recordings after what
// is already on it, and finalizes into one file system holding all of them,
// which udfinfo / 7z / ffprobe read. [disc] after_restart = "finalize" keeps
// the old behaviour (the disc is closed at the next start). A journal whose
// disc is not in the drive says so in words, and `discrecd forget-disc`
// followed by `discrec load` unblocks the drive without a restart.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "discrec/v1/catalog.grpc.pb.h"
#include "tests/integration/daemon/daemon_fixture.h"

namespace discrec::test {
namespace {

// The recordings of bd0 once the restarted daemon has taken up its journal
// (it does so in the background after it starts serving).
v1::ListRecordingsResponse wait_taken_up(Daemon& d, size_t recordings) {
  v1::ListRecordingsResponse list;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    grpc::ClientContext ctx;
    v1::ListRecordingsRequest req;
    req.set_parent("drives/bd0");
    list.Clear();
    bool listed = d.recordings->ListRecordings(&ctx, req, &list).ok();
    if (listed && static_cast<size_t>(list.recordings_size()) >= recordings &&
        get_drive(d).not_ready_reason().find("crash journal") == std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return list;
}

class RestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_program("ffmpeg")) FAIL() << "ffmpeg is not installed (setup.sh installs it)";
    std::string log;
    ASSERT_TRUE(make_test_stream(source_.file("src.ts"), 6, "libx264", 25, "320x240", &log)) << log;
    source_frames_ = count_video_frames(source_.file("src.ts"));
    ASSERT_GT(source_frames_, 0);
  }

  // Records the whole test stream with the CLI (it returns once stopped).
  void record_file(Daemon& d, const std::string& title) {
    auto rec = d.cli({"record", source_.file("src.ts"), "--drive", "bd0", "--title", title, "--bitrate", "2000000"});
    ASSERT_EQ(rec.exit_code, 0) << rec.output << d.log_text();
    EXPECT_NE(rec.output.find("STOPPED"), std::string::npos) << rec.output;
  }

  void expect_verifies(Daemon& d) {
    auto ver = d.cli({"verify", "bd0"});
    EXPECT_EQ(ver.exit_code, 0) << ver.output << d.log_text();
    EXPECT_NE(ver.output.find(" 0 mismatch"), std::string::npos) << ver.output;
  }

  // The disc is open and ready for the next recording, not finalized.
  void expect_open(Daemon& d) {
    v1::Drive drive = get_drive(d);
    EXPECT_EQ(drive.not_ready_reason(), "") << drive.DebugString() << d.log_text();
    EXPECT_TRUE(drive.medium().recording()) << drive.DebugString();
    EXPECT_EQ(drive.medium().status(), v1::DISC_STATUS_APPENDABLE) << drive.DebugString();
    EXPECT_GT(drive.medium().used_blocks(), 0u) << drive.DebugString();
    auto shown = d.cli({"drive", "bd0"});
    EXPECT_EQ(shown.exit_code, 0) << shown.output;
    EXPECT_NE(shown.output.find("APPENDABLE"), std::string::npos) << shown.output;
    EXPECT_EQ(shown.output.find("finalized"), std::string::npos) << shown.output;
  }

  // Finalizes with the CLI; the image then holds `titles` (in id order),
  // each a playable H.264 stream; `whole` of them (the first ones) with
  // every frame of the source.
  void finalize_and_check(Daemon& d, const std::vector<std::string>& titles, size_t whole) {
    auto fin = d.cli({"finalize", "bd0", "--label", "RESTART"});
    ASSERT_EQ(fin.exit_code, 0) << fin.output << d.log_text();
    expect_verifies(d);
    if (have_program("udfinfo")) {
      auto info = run_command({"udfinfo", d.image("bd0")});
      EXPECT_EQ(info.exit_code, 0) << info.output;
      EXPECT_NE(info.output.find("integrity=closed"), std::string::npos) << info.output;
      EXPECT_NE(info.output.find("RESTART"), std::string::npos) << info.output;
    }
    TempDir out;
    auto files = extract_with_7z(d.image("bd0"), out.path());
    ASSERT_EQ(files.size(), titles.size());
    for (const auto& title : titles) {
      auto it = std::find_if(files.begin(), files.end(), [&](const std::string& f) {
        return std::filesystem::path(f).filename().string().find("_" + title + ".ts") != std::string::npos;
      });
      ASSERT_NE(it, files.end()) << title;
      EXPECT_EQ(std::filesystem::file_size(*it) % 188, 0u) << *it;
      const size_t index = static_cast<size_t>(&title - &titles[0]);
      int frames = count_video_frames(*it);
      if (index < whole) EXPECT_EQ(frames, source_frames_) << *it;
      else EXPECT_GT(frames, 0) << *it;
    }
  }

  TempDir source_;
  int source_frames_ = 0;
};

TEST_F(RestartTest, AfterSigtermTheDiscStaysOpenAndTakesTheNextRecording) {
  DaemonOptions options;
  options.sim_drives = {{"bd0", "profile=bd-r&speed=4"}};
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  record_file(d, "before");
  v1::Recording before = list_recordings(d, "drives/bd0").recordings(0);

  d.process().signal(SIGTERM);
  ASSERT_EQ(d.process().wait(std::chrono::seconds(60)), 0) << d.log_text();
  ASSERT_TRUE(d.restart()) << d.log_text();
  auto list = wait_taken_up(d, 1);
  ASSERT_EQ(list.recordings_size(), 1) << list.DebugString() << d.log_text();
  const v1::Recording& recovered = list.recordings(0);
  EXPECT_EQ(recovered.name(), before.name());
  EXPECT_EQ(recovered.state(), v1::RECORDING_STATE_RECOVERED) << recovered.DebugString();
  // All of it was journaled at the stop (give or take the last unit's padding).
  EXPECT_GT(recovered.stats().bytes_written() + 65536, before.stats().bytes_written()) << recovered.DebugString();
  EXPECT_GT(recovered.stats().bytes_written(), 0u);
  EXPECT_TRUE(std::filesystem::exists(d.dir().file("journal-bd0.bin"))) << "the journal is kept while the disc is open";
  expect_open(d);
  expect_verifies(d);

  record_file(d, "after");
  list = list_recordings(d, "drives/bd0");
  ASSERT_EQ(list.recordings_size(), 2) << list.DebugString();
  EXPECT_NE(list.recordings(0).name(), list.recordings(1).name()) << "recording ids continue";
  expect_verifies(d);  // the journal's checksums and the new writer's
  finalize_and_check(d, {"before", "after"}, 2);
  EXPECT_NE(get_drive(d).not_ready_reason().find("finalized"), std::string::npos);

  // Finalized in the evening, restarted overnight: the disc's recordings are
  // listed again and verify still compares with what was written (the
  // retired journal's checksums), not "no checksums".
  d.process().signal(SIGTERM);
  ASSERT_EQ(d.process().wait(std::chrono::seconds(60)), 0) << d.log_text();
  ASSERT_TRUE(d.restart()) << d.log_text();
  list = wait_taken_up(d, 2);
  ASSERT_EQ(list.recordings_size(), 2) << list.DebugString() << d.log_text();
  auto ver = d.cli({"verify", "bd0"});
  EXPECT_EQ(ver.exit_code, 0) << ver.output << d.log_text();
  EXPECT_NE(ver.output.find(" 0 mismatch"), std::string::npos) << ver.output;
  EXPECT_EQ(ver.output.find(" 0 bytes read back"), std::string::npos) << ver.output;

  // The catalog followed both recordings through the restarts: the one
  // taken up from the journal and the one recorded after, both verified on
  // the same disc.
  auto catalog = d.cli({"--json", "catalog"});
  ASSERT_EQ(catalog.exit_code, 0) << catalog.output << d.log_text();
  size_t verified = 0;
  for (size_t at = 0; (at = catalog.output.find("CATALOG_STATE_VERIFIED", at)) != std::string::npos; ++at) ++verified;
  EXPECT_EQ(verified, 2u) << catalog.output;
  for (const char* title : {"\"title\":\"before\"", "\"title\":\"after\""})
    EXPECT_NE(catalog.output.find(title), std::string::npos) << title << " in " << catalog.output;
  // Page by page through the API: one part each, the token to the next.
  auto stub = v1::CatalogService::NewStub(d.channel);
  v1::ListCatalogRequest request;
  request.set_page_size(1);
  std::vector<std::string> titles;
  for (int page = 0; page < 3; ++page) {
    grpc::ClientContext context;
    v1::ListCatalogResponse response;
    ASSERT_TRUE(stub->ListCatalog(&context, request, &response).ok());
    ASSERT_EQ(response.parts_size(), 1);
    titles.push_back(response.parts(0).title());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(titles.size(), 2u);
  EXPECT_NE(titles.front(), titles.back());
}

// A SIGKILL in the middle of a live recording on a rewritable disc; then a
// second one once a recording went onto the continued disc: the journal
// holds both discs' worth of extents and the disc is taken up again.
TEST_F(RestartTest, AfterSigkillTheDiscStaysOpenAndSurvivesASecondCrash) {
  DaemonOptions options;
  options.sim_drives = {{"bd0", "profile=bd-re&speed=4"}};
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  v1::Recording live;
  ASSERT_TRUE(start_recording(d, "drives/bd0", "udp://127.0.0.1:23621", 2'000'000, &live, "live").ok());
  Process sender({"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-i", source_.file("src.ts"),
                  "-c", "copy", "-f", "mpegts", "udp://127.0.0.1:23621?pkt_size=1316"});
  // Well into the stream, and past a journal sync or two.
  uint64_t written = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (written < 300'000 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    written = get_recording(d, live.name()).stats().bytes_written();
  }
  ASSERT_GE(written, 300'000u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  d.process().signal(SIGKILL);
  ASSERT_NE(d.process().wait(std::chrono::seconds(10)), -1);
  sender.signal(SIGKILL);

  ASSERT_TRUE(d.restart()) << d.log_text();
  auto list = wait_taken_up(d, 1);
  ASSERT_EQ(list.recordings_size(), 1) << list.DebugString() << d.log_text();
  EXPECT_EQ(list.recordings(0).state(), v1::RECORDING_STATE_RECOVERED);
  // At most about a second (the journal interval) is lost; 2 s at the bitrate allowed.
  EXPECT_GE(list.recordings(0).stats().bytes_written() + 500'000, written);
  expect_open(d);
  expect_verifies(d);
  record_file(d, "next");

  // The new recording is journaled (once a second) before this kill.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  d.process().signal(SIGKILL);
  ASSERT_NE(d.process().wait(std::chrono::seconds(10)), -1);
  ASSERT_TRUE(d.restart()) << d.log_text();
  list = wait_taken_up(d, 2);
  ASSERT_EQ(list.recordings_size(), 2) << list.DebugString() << d.log_text();
  for (const auto& r : list.recordings()) EXPECT_EQ(r.state(), v1::RECORDING_STATE_RECOVERED) << r.DebugString();
  expect_open(d);
  expect_verifies(d);
  finalize_and_check(d, {"next", "live"}, 1);
}

TEST_F(RestartTest, AfterRestartFinalizeClosesTheDiscAtTheNextStart) {
  DaemonOptions options;
  options.sim_drives = {{"bd0", "profile=bd-r&speed=4"}};
  options.extra_toml = "[disc]\nafter_restart = \"finalize\"\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  record_file(d, "closed");
  d.process().signal(SIGTERM);
  ASSERT_EQ(d.process().wait(std::chrono::seconds(60)), 0) << d.log_text();
  ASSERT_TRUE(d.restart()) << d.log_text();
  auto list = wait_taken_up(d, 1);
  ASSERT_EQ(list.recordings_size(), 1) << list.DebugString() << d.log_text();
  EXPECT_EQ(list.recordings(0).state(), v1::RECORDING_STATE_RECOVERED);
  EXPECT_NE(get_drive(d).not_ready_reason().find("finalized"), std::string::npos) << d.log_text();
  EXPECT_TRUE(std::filesystem::exists(d.dir().file("journal-bd0.bin.done")));
  EXPECT_FALSE(std::filesystem::exists(d.dir().file("journal-bd0.bin")));
  expect_verifies(d);
  TempDir out;
  auto files = extract_with_7z(d.image("bd0"), out.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(count_video_frames(files[0]), source_frames_);
}

// The journal's disc is gone (a blank one is in the drive): the drive says
// so in words, and once the journal is discarded, `load` frees the drive.
TEST_F(RestartTest, AnotherDiscIsNamedAndForgetDiscThenLoadUnblocksTheDrive) {
  DaemonOptions options;
  options.sim_drives = {{"bd0", "profile=bd-r&speed=4"}};
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  record_file(d, "elsewhere");
  d.process().signal(SIGTERM);
  ASSERT_EQ(d.process().wait(std::chrono::seconds(60)), 0) << d.log_text();
  // A blank disc instead of the recorded one.
  for (const char* suffix : {"", ".state", ".undo"}) std::filesystem::remove(d.image("bd0") + suffix);

  ASSERT_TRUE(d.restart()) << d.log_text();
  std::string reason;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    reason = get_drive(d).not_ready_reason();
    if (reason.find("journal describes") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_NE(reason.find("the disc in drive bd0 is not the one the journal describes: reading LBA "),
            std::string::npos)
      << reason;
  EXPECT_NE(reason.find("forget-disc"), std::string::npos) << reason;
  v1::Recording refused;
  EXPECT_EQ(start_recording(d, "drives/bd0", source_.file("src.ts"), 2'000'000, &refused).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  auto forget = run_command({binary_path("daemon/discrecd"), "forget-disc", "--state-dir", d.dir().path(), "bd0"});
  ASSERT_EQ(forget.exit_code, 0) << forget.output;
  auto load = d.cli({"load", "bd0"});
  EXPECT_EQ(load.exit_code, 0) << load.output;
  EXPECT_EQ(get_drive(d).not_ready_reason(), "") << d.log_text();
  // The catalog says the forgotten disc's recording never made it.
  auto catalog = d.cli({"--json", "catalog"});
  ASSERT_EQ(catalog.exit_code, 0) << catalog.output;
  EXPECT_NE(catalog.output.find("CATALOG_STATE_FAILED"), std::string::npos) << catalog.output;
  EXPECT_NE(catalog.output.find("forget-disc"), std::string::npos) << catalog.output;
  record_file(d, "fresh");
  finalize_and_check(d, {"fresh"}, 1);
}

}  // namespace
}  // namespace discrec::test
