// A DVR's BD-RE as a library, through the real daemon and CLI: recordings
// added to the disc's volume on later days (across restarts), one deleted to
// make room, a recording that would not fit refused at once, and a SIGKILL
// in the middle of each step of a volume update: the disc always reads as
// the old volume or the new one (7-Zip, udfinfo, ffprobe frame counts), and
// the restarted daemon completes the update.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "discrec/v1/catalog.grpc.pb.h"
#include "tests/integration/daemon/daemon_fixture.h"

namespace discrec::test {
namespace {

// Waits until bd0 is idle with a finalized rewritable disc's volume.
bool wait_volume(Daemon& d, uint32_t recordings) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    const v1::Drive drive = get_drive(d);
    if (drive.medium().has_volume() && drive.medium().volume().recordings() == recordings) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

class AppendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_program("ffmpeg")) FAIL() << "ffmpeg is not installed (setup.sh installs it)";
    std::string log;
    ASSERT_TRUE(make_test_stream(source_.file("src.ts"), 4, "libx264", 25, "320x240", &log)) << log;
    source_frames_ = count_video_frames(source_.file("src.ts"));
    ASSERT_GT(source_frames_, 0);
  }

  void record_file(Daemon& d, const std::string& title) {
    auto rec = d.cli({"record", source_.file("src.ts"), "--drive", "bd0", "--title", title, "--bitrate", "2000000"});
    ASSERT_EQ(rec.exit_code, 0) << rec.output << d.log_text();
    EXPECT_NE(rec.output.find("STOPPED"), std::string::npos) << rec.output;
  }

  // The image's files, by title, each a whole copy of the source.
  void expect_titles(Daemon& d, std::vector<std::string> titles) {
    TempDir out;
    auto files = extract_with_7z(d.image("bd0"), out.path());
    std::vector<std::string> found;
    for (const auto& f : files) {
      const std::string name = std::filesystem::path(f).filename().string();
      const size_t underscore = name.rfind('_');
      found.push_back(name.substr(underscore + 1, name.size() - underscore - 4));
      EXPECT_EQ(count_video_frames(f), source_frames_) << f;
    }
    std::sort(found.begin(), found.end());
    std::sort(titles.begin(), titles.end());
    EXPECT_EQ(found, titles) << d.log_text();
    if (have_program("udfinfo")) {
      auto info = run_command({"udfinfo", d.image("bd0")});
      EXPECT_EQ(info.exit_code, 0) << info.output;
      EXPECT_NE(info.output.find("integrity=closed"), std::string::npos) << info.output;
      EXPECT_NE(info.output.find("numfiles=" + std::to_string(titles.size()) + "\n"), std::string::npos)
          << info.output;
    }
  }

  // Records "monday", closes its session leaving the disc appendable (label
  // WEEK), stops the daemon, writes `faults` for the drive's next start (if
  // any), and starts it again.
  void monday_in_a_session_then_restart(Daemon& d, const std::string& faults = "") {
    record_file(d, "monday");
    auto fin = d.cli({"finalize", "bd0", "--no-close", "--label", "WEEK"});
    ASSERT_EQ(fin.exit_code, 0) << fin.output << d.log_text();
    d.process().signal(SIGTERM);
    ASSERT_EQ(d.process().wait(std::chrono::seconds(60)), 0) << d.log_text();
    if (!faults.empty()) std::ofstream(d.dir().file("faults.txt")) << faults;
    ASSERT_TRUE(d.restart()) << d.log_text();
  }

  // udfinfo's report of the first session (by its start, in ECC units of
  // 32 blocks) whose volume lists `files` files; "" if none does.
  std::string session_listing(Daemon& d, int files) {
    for (uint32_t start = 32; start < 60'000; start += 32) {
      auto info = run_command({"udfinfo", "--startblock=" + std::to_string(start), d.image("bd0")});
      if (info.exit_code == 0 && info.output.find("numfiles=" + std::to_string(files) + "\n") != std::string::npos)
        return info.output;
    }
    return "";
  }

  // Starts `discrec finalize bd0`, waits until the drive is finalizing and a
  // few seconds more (the drive's scripted hang holds it there), then
  // SIGKILLs the daemon and the client.
  void kill_during_finalize(Daemon& d, const char* hang) {
    Process finalize({binary_path("clients/discrec"), "--socket", d.socket(), "finalize", "bd0"});
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < until &&
           get_drive(d).not_ready_reason().find("finalizing") == std::string::npos)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::this_thread::sleep_for(std::chrono::seconds(3));
    EXPECT_NE(get_drive(d).not_ready_reason().find("finalizing"), std::string::npos) << hang;
    d.process().signal(SIGKILL);
    ASSERT_NE(d.process().wait(std::chrono::seconds(10)), -1);
    finalize.signal(SIGKILL);
  }

  TempDir source_;
  int source_frames_ = 0;
};

// The catalog's state of the part titled `title` (UNSPECIFIED: none).
v1::CatalogState catalog_state(Daemon& d, const std::string& title) {
  auto stub = v1::CatalogService::NewStub(grpc::CreateChannel("unix:" + d.socket(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  v1::ListCatalogRequest request;
  request.set_page_size(1000);
  v1::ListCatalogResponse all;
  const grpc::Status status = stub->ListCatalog(&ctx, request, &all);
  EXPECT_TRUE(status.ok()) << status.error_message();
  for (const auto& p : all.parts())
    if (p.title() == title) return p.state();
  return v1::CATALOG_STATE_UNSPECIFIED;
}

TEST_F(AppendTest, ADvrsBdReTakesRecordingsDayAfterDayAndGivesBackWhatIsDeleted) {
  DaemonOptions options;
  options.sim_drives = {{"bd0", "profile=bd-re&speed=4&blocks=60000"}};
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  record_file(d, "monday");
  auto fin = d.cli({"finalize", "bd0", "--label", "HOME DVR"});
  ASSERT_EQ(fin.exit_code, 0) << fin.output << d.log_text();
  expect_titles(d, {"monday"});

  // The finalized disc is a library: its volume, free space and time left.
  const v1::Drive drive = get_drive(d, 2'000'000);
  ASSERT_TRUE(drive.medium().has_volume()) << drive.DebugString();
  EXPECT_EQ(drive.medium().volume().label(), "HOME DVR");
  EXPECT_EQ(drive.medium().volume().recordings(), 1u);
  EXPECT_GT(drive.medium().volume().recordable_blocks(), 50'000u);
  EXPECT_GT(drive.medium().volume().time_left().seconds(), 400) << "~110 MB at 2 Mbit/s";
  auto shown = d.cli({"drive", "bd0", "--bitrate", "2M"});
  EXPECT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_NE(shown.output.find("volume:     \"HOME DVR\", 1 recording(s)"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find("the next recording may take"), std::string::npos) << shown.output;

  // The next day, after a restart: the disc is recognised and appended to.
  d.process().signal(SIGTERM);
  ASSERT_EQ(d.process().wait(std::chrono::seconds(60)), 0) << d.log_text();
  ASSERT_TRUE(d.restart()) << d.log_text();
  ASSERT_TRUE(wait_volume(d, 1)) << get_drive(d).DebugString() << d.log_text();
  record_file(d, "tuesday");
  fin = d.cli({"finalize", "bd0"});
  ASSERT_EQ(fin.exit_code, 0) << fin.output << d.log_text();
  EXPECT_NE(fin.output.find("added"), std::string::npos) << fin.output;
  expect_titles(d, {"monday", "tuesday"});
  auto ver = d.cli({"verify", "bd0"});
  EXPECT_EQ(ver.exit_code, 0) << ver.output;

  // A recording the disc cannot hold is refused before it starts.
  auto too_long = d.cli({"record", "udp://127.0.0.1:23631", "--drive", "bd0", "--bitrate", "8M", "--duration", "2h",
                         "--detach"});
  EXPECT_EQ(too_long.exit_code, 1) << too_long.output;
  EXPECT_NE(too_long.output.find("holds about"), std::string::npos) << too_long.output;

  // Monday is deleted: the disc lists Tuesday alone and has Monday's room back.
  const uint64_t free_before = get_drive(d).medium().volume().free_blocks();
  auto missing = d.cli({"delete", "bd0/nothing-like-it"});
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  auto list = list_recordings(d, "drives/bd0");
  std::string monday_id;
  for (const auto& r : list.recordings())
    if (r.title() == "monday") monday_id = r.name().substr(r.name().rfind('/') + 1);
  ASSERT_FALSE(monday_id.empty()) << list.DebugString();
  auto deleted = d.cli({"delete", "bd0/" + monday_id});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.output << d.log_text();
  EXPECT_NE(deleted.output.find("deleted 1 file(s)"), std::string::npos) << deleted.output;
  expect_titles(d, {"tuesday"});
  EXPECT_GT(get_drive(d).medium().volume().free_blocks(), free_before);
  // The catalog says so too, and a later finalize and verify of the same
  // disc do not bring Monday back.
  EXPECT_EQ(catalog_state(d, "monday"), v1::CATALOG_STATE_DELETED);
  EXPECT_EQ(catalog_state(d, "tuesday"), v1::CATALOG_STATE_VERIFIED);
  record_file(d, "wednesday");
  ASSERT_EQ(d.cli({"finalize", "bd0"}).exit_code, 0);
  expect_titles(d, {"tuesday", "wednesday"});
  ASSERT_EQ(d.cli({"verify", "bd0"}).exit_code, 0);
  EXPECT_EQ(catalog_state(d, "monday"), v1::CATALOG_STATE_DELETED);
  EXPECT_EQ(catalog_state(d, "wednesday"), v1::CATALOG_STATE_VERIFIED);
  auto shown_catalog = d.cli({"catalog"});
  EXPECT_NE(shown_catalog.output.find(" deleted "), std::string::npos) << shown_catalog.output;
}

// A BD-R in sessions through the CLI: `finalize --no-close` leaves it
// appendable, the next day's recording (after a restart) opens a session
// whose volume lists both; udfinfo --startblock reads that session, readers
// that look only at sector 256 (7-Zip) the first.
TEST_F(AppendTest, ABdRFinalizedWithoutClosingTakesTheNextDaysRecordingInASession) {
  DaemonOptions options;
  options.sim_drives = {{"bd0", "profile=bd-r&speed=4&blocks=60000"}};
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  monday_in_a_session_then_restart(d);
  if (HasFatalFailure()) return;
  record_file(d, "tuesday");
  auto fin = d.cli({"finalize", "bd0"});
  ASSERT_EQ(fin.exit_code, 0) << fin.output << d.log_text();
  auto ver = d.cli({"verify", "bd0"});
  EXPECT_EQ(ver.exit_code, 0) << ver.output;
  EXPECT_NE(ver.output.find("UDF lists 2 file(s)"), std::string::npos) << ver.output;
  expect_titles(d, {"monday"});  // 7-Zip: the first session
  // udfinfo from the last session's start: both, under the first label.
  if (have_program("udfinfo")) {
    const std::string both = session_listing(d, 2);
    EXPECT_FALSE(both.empty()) << "no session lists both recordings";
    EXPECT_NE(both.find("label=WEEK"), std::string::npos) << both;
  }
}

// The sectors a cut lands on, as udfinfo names them ("start=N, blocks=16,
// type=RVDS"): the reserve sequence is rewritten last.
uint32_t reserve_sequence(const std::string& image) {
  auto info = run_command({"udfinfo", image});
  std::smatch m;
  if (!std::regex_search(info.output, m, std::regex("start=([0-9]+), blocks=16, type=RVDS"))) return 0;
  return static_cast<uint32_t>(std::stoul(m[1]));
}

// A SIGKILL while the update's switch (the anchor at 256), then while its
// copies (the reserve sequence), hang in the drive: the disc reads as the
// old volume or the new one, and the restarted daemon finishes the update.
// A write-once disc's session finalize cut by SIGKILL while the drive closes
// the session (CLOSE TRACK/SESSION hangs): the next start completes it from
// the journal, and the disc holds both days' recordings in its last
// session, the first day's in its first.
TEST_F(AppendTest, ASigkillDuringASessionFinalizeIsCompletedByTheNextStart) {
  if (!have_program("udfinfo")) FAIL() << "udfinfo (udftools) is not installed";
  DaemonOptions options;
  options.sim_drives = {{"bd0", "profile=bd-r&speed=4&blocks=60000&faults={dir}/faults.txt"}};
  options.files = {{"faults.txt", "# none yet\n"}};
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();
  monday_in_a_session_then_restart(d, "hang opcode=0x5b\n");
  if (HasFatalFailure()) return;
  record_file(d, "tuesday");
  kill_during_finalize(d, "hangs closing the session");

  std::ofstream(d.dir().file("faults.txt")) << "# mended\n";
  ASSERT_TRUE(d.restart()) << d.log_text();
  // The restart finishes the finalize; verify then reads both files back.
  CommandResult ver;
  const auto settled = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  do {
    ver = d.cli({"verify", "bd0"});
    if (ver.exit_code == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  } while (std::chrono::steady_clock::now() < settled);
  ASSERT_EQ(ver.exit_code, 0) << ver.output << d.log_text();
  EXPECT_NE(ver.output.find("UDF lists 2 file(s)"), std::string::npos) << ver.output;
  EXPECT_NE(ver.output.find(" 0 mismatch(es)"), std::string::npos) << ver.output;
  expect_titles(d, {"monday"});  // 7-Zip: the first session
  EXPECT_FALSE(session_listing(d, 2).empty()) << "no session lists both recordings" << d.log_text();
}

TEST_F(AppendTest, ASigkillDuringEachStepOfAVolumeUpdateLosesNothing) {
  if (!have_program("udfinfo")) FAIL() << "udfinfo (udftools) is not installed";
  for (int step = 0; step < 2; ++step) {
    SCOPED_TRACE(step == 0 ? "the switch" : "the copies");
    DaemonOptions options;
    options.sim_drives = {{"bd0", "profile=bd-re&speed=4&blocks=60000&faults={dir}/faults.txt"}};
    options.files = {{"faults.txt", "# none yet\n"}};
    Daemon d(options);
    ASSERT_TRUE(d.started()) << d.log_text();
    record_file(d, "base");
    ASSERT_EQ(d.cli({"finalize", "bd0"}).exit_code, 0) << d.log_text();
    const uint32_t reserve = reserve_sequence(d.image("bd0"));
    ASSERT_GT(reserve, 50'000u);

    // The drive hangs on the step's write from the next start on.
    d.process().signal(SIGTERM);
    ASSERT_EQ(d.process().wait(std::chrono::seconds(60)), 0) << d.log_text();
    std::ofstream(d.dir().file("faults.txt"))
        << "hang lba=" << (step == 0 ? 256u : reserve) << " opcode=0xaa\n";
    ASSERT_TRUE(d.restart()) << d.log_text();
    ASSERT_TRUE(wait_volume(d, 1)) << d.log_text();
    record_file(d, "added");
    // Until the update's step hangs: its earlier writes are on the disc.
    kill_during_finalize(d, "hangs in the update");
    // What a reader finds now: the old volume before the switch, the new one after.
    expect_titles(d, step == 0 ? std::vector<std::string>{"base"} : std::vector<std::string>{"base", "added"});

    std::ofstream(d.dir().file("faults.txt")) << "# mended\n";
    ASSERT_TRUE(d.restart()) << d.log_text();
    ASSERT_TRUE(wait_volume(d, 2)) << get_drive(d).DebugString() << d.log_text();
    expect_titles(d, {"base", "added"});
    auto ver = d.cli({"verify", "bd0"});
    EXPECT_EQ(ver.exit_code, 0) << ver.output;
  }
}

}  // namespace
}  // namespace discrec::test
