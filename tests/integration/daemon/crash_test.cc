// Crash and power-cut recovery with the real daemon: record two live UDP
// streams, SIGKILL discrecd at different points (one during finalize),
// restart it with [disc] after_restart = "finalize" (an interrupted finalize
// is completed under the default too), and check the disc is
// finished, readable by udfinfo / 7z / ffprobe, verifies against the
// journal's checksums, and lost at most about a second of each recording.
// (The default, a disc kept open across the restart, is restart_test.cc.)
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "tests/integration/daemon/daemon_fixture.h"

namespace discrec::test {
namespace {

struct CrashCase {
  const char* name;
  int kill_after_ms;     // after the senders start; -1 = during finalize
  bool powercut;         // the emulated drive loses what was not flushed
  const char* profile;
};

class CrashTest : public ::testing::TestWithParam<CrashCase> {};

v1::Recording get(Daemon& d, const std::string& name) {
  grpc::ClientContext ctx;
  v1::GetRecordingRequest req;
  req.set_name(name);
  v1::Recording r;
  (void)d.recordings->GetRecording(&ctx, req, &r);
  return r;
}

std::string drive_not_ready(Daemon& d) {
  grpc::ClientContext ctx;
  v1::GetDriveRequest req;
  req.set_name("drives/bd0");
  v1::Drive drive;
  auto s = d.drives->GetDrive(&ctx, req, &drive);
  return s.ok() ? drive.not_ready_reason() : s.error_message();
}

// Starts discrecd again on the state directory of `first` (killed), points
// `first`'s stubs at it and waits until it has dealt with the crash journal.
std::unique_ptr<Process> restart_and_recover(Daemon& first, const std::string& state_dir) {
  std::string config = state_dir + "/discrecd.toml";
  auto second = std::make_unique<Process>(
      std::vector<std::string>{binary_path("daemon/discrecd"), "serve", "--config", config},
      state_dir + "/discrecd2.log");
  std::string socket = state_dir + "/discrecd.sock";
  auto channel = grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials());
  // The old socket file is still there until the new daemon replaces it:
  // wait for an answer, not for a connection.
  auto daemon_stub = v1::DaemonService::NewStub(channel);
  bool answered = false;
  for (int i = 0; i < 300 && !answered; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    v1::DaemonInfo info;
    answered = daemon_stub->GetDaemonInfo(&ctx, {}, &info).ok();
    if (!answered) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(answered) << read_file(state_dir + "/discrecd2.log");
  first.channel = channel;
  first.drives = v1::DriveService::NewStub(channel);
  first.recordings = v1::RecordingService::NewStub(channel);
  first.discs = v1::DiscService::NewStub(channel);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (drive_not_ready(first).find("crash journal") != std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  return second;
}

TEST_P(CrashTest, RestartFinishesTheDisc) {
  const CrashCase& c = GetParam();
  if (!have_program("ffmpeg")) FAIL() << "ffmpeg is not installed (setup.sh installs it)";
  TempDir src;
  std::string log;
  ASSERT_TRUE(make_test_stream(src.file("src.ts"), 10, "libx264", 25, "320x240", &log)) << log;

  DaemonOptions options;
  // A finalize the kill interrupted is completed whatever the policy: that
  // case keeps the default ("continue").
  if (c.kill_after_ms >= 0) options.extra_toml = "[disc]\nafter_restart = \"finalize\"\n";
  std::string query = std::string("profile=") + c.profile + "&speed=4" + (c.powercut ? "&powercut=on" : "");
  if (c.kill_after_ms < 0) {
    // Finalize writes the file system from LBA 0 up; one write in the middle
    // of it takes 4 s, and the kill lands inside it.
    options.files = {{"slow-metadata.faults", "latency delay=4000 lba=200-210\n"}};
    query += "&faults={dir}/slow-metadata.faults";
  }
  options.sim_drives = {{"bd0", query}};
  // The daemon's state directory (journal, disc image) must outlive the first process.
  auto first = std::make_unique<Daemon>(options);
  ASSERT_TRUE(first->started()) << first->log_text();
  const std::string state_dir = first->dir().path();

  std::vector<std::string> names;
  for (int port : {23601, 23602}) {
    grpc::ClientContext ctx;
    v1::StartRecordingRequest req;
    req.set_parent("drives/bd0");
    req.set_source_url("udp://127.0.0.1:" + std::to_string(port));
    req.set_expected_bitrate_bps(2'000'000);
    req.set_title("cam" + std::to_string(port));
    v1::Recording r;
    auto s = first->recordings->StartRecording(&ctx, req, &r);
    ASSERT_TRUE(s.ok()) << s.error_message();
    names.push_back(r.name());
  }
  std::vector<std::unique_ptr<Process>> senders;
  for (int port : {23601, 23602})
    senders.push_back(std::make_unique<Process>(std::vector<std::string>{
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", src.file("src.ts"), "-c", "copy", "-f", "mpegts",
        "udp://127.0.0.1:" + std::to_string(port) + "?pkt_size=1316"}));

  // Follow the recordings until the kill; the last snapshot says how much
  // the drive had acknowledged shortly before it.
  std::map<std::string, uint64_t> written_before_kill;
  auto started = std::chrono::steady_clock::now();
  std::unique_ptr<Process> finalizer;
  if (c.kill_after_ms >= 0) {
    while (std::chrono::steady_clock::now() - started < std::chrono::milliseconds(c.kill_after_ms)) {
      for (const auto& n : names) written_before_kill[n] = get(*first, n).stats().bytes_written();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  } else {
    // The live recordings are still running when the senders are done
    // (a UDP source has no end): the finalize stops them (--force).
    for (auto& s : senders) s->wait(std::chrono::seconds(60));
    for (const auto& n : names) written_before_kill[n] = get(*first, n).stats().bytes_written();
    finalizer = std::make_unique<Process>(std::vector<std::string>{binary_path("clients/discrec"), "--socket",
                                                                   first->socket(), "finalize", "bd0", "--force"});
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  }
  first->process().signal(SIGKILL);
  ASSERT_NE(first->process().wait(std::chrono::seconds(10)), -1);
  for (auto& s : senders) s->signal(SIGKILL);
  if (finalizer) finalizer->wait(std::chrono::seconds(10));

  auto second = restart_and_recover(*first, state_dir);
  Daemon* d = first.get();
  // Finished: a write-once disc says it is finalized; a rewritable one is a
  // volume that takes more recordings.
  std::string reason = drive_not_ready(*d);
  const bool library = get_drive(*d).medium().has_volume();
  ASSERT_TRUE(reason.find("finalized") != std::string::npos || (library && reason.empty()))
      << reason << "\nrunning: " << second->running() << "\n" << read_file(state_dir + "/discrecd2.log");
  EXPECT_TRUE(std::filesystem::exists(state_dir + "/journal-bd0.bin.done"));
  EXPECT_FALSE(std::filesystem::exists(state_dir + "/journal-bd0.bin"));

  // What was recovered: every recording, losing at most ~1 s (the journal
  // interval) plus the polling interval of what the drive had acknowledged.
  const uint64_t allowance = 2'000'000 / 8 * 2;  // 2 s at the stream's bitrate
  for (const auto& n : names) {
    auto r = get(*d, n);
    EXPECT_EQ(r.state(), v1::RECORDING_STATE_RECOVERED) << r.DebugString();
    EXPECT_TRUE(r.lost_extents().empty()) << "no write errors were injected";
    EXPECT_GE(r.stats().bytes_written() + allowance, written_before_kill[n]) << n;
    if (c.kill_after_ms >= 2000) {
      EXPECT_GT(r.stats().bytes_written(), 0u) << n;
    }
  }
  // Verify reads everything back against the journal's checksums.
  {
    grpc::ClientContext ctx;
    v1::VerifyDiscRequest req;
    req.set_name("drives/bd0");
    auto reader = d->discs->VerifyDisc(&ctx, req);
    v1::DiscOperationProgress p, last;
    while (reader->Read(&p)) last = p;
    auto s = reader->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(last.mismatches_size(), 0) << last.DebugString();
  }
  second->signal(SIGTERM);
  second->wait(std::chrono::seconds(30));

  // Readers nobody here wrote.
  std::string image = state_dir + "/bd0.img";
  auto info = run_command({"udfinfo", image});
  EXPECT_EQ(info.exit_code, 0) << info.output;
  EXPECT_NE(info.output.find("integrity=closed"), std::string::npos) << info.output;
  TempDir out;
  std::string seven = have_program("7zz") ? "7zz" : "7z";
  auto x = run_command({seven, "x", "-y", "-o" + out.path(), image});
  ASSERT_EQ(x.exit_code, 0) << x.output;
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(out.path())) {
    if (e.path().extension() != ".ts") continue;
    ++files;
    EXPECT_EQ(std::filesystem::file_size(e.path()) % 188, 0u);
    if (std::filesystem::file_size(e.path()) > 0) {
      auto probe = run_command({"ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0",
                                e.path().string()});
      EXPECT_EQ(probe.exit_code, 0) << probe.output;
      EXPECT_NE(probe.output.find("h264"), std::string::npos) << probe.output;
    }
  }
  EXPECT_LE(files, 2);
  if (c.kill_after_ms >= 2000 || c.kill_after_ms < 0) {
    EXPECT_EQ(files, 2);
  }
}

// What a full ring turned away (a drive that hung) is journaled like the
// writer's own sheds: after a crash the recovered recording still says how
// many bytes and GOPs it lost, and where.
TEST(CrashOverflowTest, TurnedAwayGopsAreStillCountedAfterARestart) {
  if (!have_program("ffmpeg")) FAIL() << "ffmpeg is not installed (setup.sh installs it)";
  TempDir src;
  std::string log;
  ASSERT_TRUE(make_12mbit_stream(src.file("live.ts"), &log)) << log;
  // 12 Mbit/s into a 2 MiB ring; one WRITE(12) 5 s after the drive opened
  // takes 2.5 s: the ring overflows and turns whole GOPs away.
  DaemonOptions options;
  options.files = {{"hang.faults", "latency delay=2500 opcode=0xaa at=5000\n"}};
  options.sim_drives = {{"bd0", "profile=bd-r&speed=4&faults={dir}/hang.faults"}};
  auto first = std::make_unique<Daemon>(options);
  ASSERT_TRUE(first->started()) << first->log_text();
  const std::string state_dir = first->dir().path();
  grpc::ClientContext ctx;
  v1::StartRecordingRequest req;
  req.set_parent("drives/bd0");
  req.set_source_url("udp://127.0.0.1:23611");
  req.set_expected_bitrate_bps(12'000'000);
  req.set_ring_size_bytes(2 << 20);
  v1::Recording rec;
  auto started = first->recordings->StartRecording(&ctx, req, &rec);
  ASSERT_TRUE(started.ok()) << started.error_message();
  Process sender({"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-i", src.file("live.ts"), "-c",
                  "copy", "-f", "mpegts", "udp://127.0.0.1:23611?pkt_size=1316"});
  ASSERT_NE(sender.wait(std::chrono::seconds(60)), -1);
  // The source is done and the ring drained: what was shed no longer
  // changes, and the journal (synced every second) has had time to log it.
  v1::Recording before = get(*first, rec.name());
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    v1::Recording now = get(*first, rec.name());
    if (now.stats().shed_bytes() == before.stats().shed_bytes() && now.shed_ranges_size() == before.shed_ranges_size())
      break;
    before = now;
  }
  ASSERT_GT(before.stats().shed_bytes(), 0u) << "the hang must have cost something: " << before.DebugString();
  first->process().signal(SIGKILL);
  ASSERT_NE(first->process().wait(std::chrono::seconds(10)), -1);

  auto second = restart_and_recover(*first, state_dir);
  v1::Recording after = get(*first, rec.name());
  EXPECT_EQ(after.state(), v1::RECORDING_STATE_RECOVERED) << after.DebugString();
  EXPECT_EQ(after.stats().shed_bytes(), before.stats().shed_bytes()) << before.DebugString() << after.DebugString();
  EXPECT_EQ(after.stats().shed_gops(), before.stats().shed_gops());
  ASSERT_EQ(after.shed_ranges_size(), before.shed_ranges_size());
  for (int i = 0; i < after.shed_ranges_size(); ++i) {
    EXPECT_EQ(after.shed_ranges(i).byte_offset(), before.shed_ranges(i).byte_offset()) << i;
    EXPECT_EQ(after.shed_ranges(i).byte_count(), before.shed_ranges(i).byte_count()) << i;
    EXPECT_EQ(after.shed_ranges(i).gop_count(), before.shed_ranges(i).gop_count()) << i;
  }
  second->signal(SIGTERM);
  second->wait(std::chrono::seconds(30));
}

INSTANTIATE_TEST_SUITE_P(
    KillPoints, CrashTest,
    ::testing::Values(CrashCase{"BdRearly", 1500, false, "bd-r"}, CrashCase{"BdRmidway", 4500, false, "bd-r"},
                      CrashCase{"BdRpowerCut", 6000, true, "bd-r"}, CrashCase{"BdRe", 5000, false, "bd-re"},
                      CrashCase{"DvdPlusRpowerCut", 3500, true, "dvd+r"},
                      CrashCase{"DuringFinalize", -1, true, "bd-r"}),
    [](const ::testing::TestParamInfo<CrashCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace discrec::test
