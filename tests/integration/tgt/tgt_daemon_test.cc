// Issue 19: discrecd records onto a drive nobody here wrote. tgt's DVD+R
// (shared/mmc-target) lists Real-Time Streaming but never makes it current,
// so the default write policy writes it without the Streaming bit. A file and
// a live UDP stream are recorded through the real daemon, CLI and gRPC API
// over iSCSI, the disc is finalized and verified, and tgt's backing file is
// then read by udfinfo, 7-Zip, libudfread and ffprobe.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/integration/daemon/daemon_fixture.h"
#include "tests/integration/tgt/tgt_fixture.h"

namespace discrec::test {
namespace {

TEST(TgtDaemonTest, TheDefaultPolicyRecordsAFileAndALiveStreamOntoTgtsDvdPlusRInPlainMode) {
  if (tgt::fixture_dir().empty()) GTEST_SKIP() << "run through ctest (the tgt fixture)";
  ASSERT_TRUE(have_program("ffmpeg"));
  const std::string medium = "daemon-e2e";
  ASSERT_EQ(std::system(tgt::swap_command(medium).c_str()), 0);
  const std::string image = tgt::fixture_dir() + "/state/" + medium + ".iso";
  const std::string uri = tgt::read_trimmed(tgt::fixture_dir() + "/uri");

  TempDir source;
  std::string log;
  ASSERT_TRUE(make_test_stream(source.file("src.ts"), 8, "libx264", 25, "320x240", &log)) << log;
  const int source_frames = count_video_frames(source.file("src.ts"));
  ASSERT_GT(source_frames, 150);

  DaemonOptions options;
  options.sim_drives = {};
  options.extra_toml = "[drives.tgt0]\nuri = \"" + uri + "\"\n";
  Daemon d(options);
  ASSERT_TRUE(d.started()) << d.log_text();

  // Before a byte is written, the drive says how it will write and why.
  auto drive = d.cli({"drive", "tgt0"});
  ASSERT_EQ(drive.exit_code, 0) << drive.output;
  EXPECT_NE(drive.output.find("writes:     plain (write_mode streaming-preferred; plain writes: cannot stream to "
                              "DVD+R: Real-Time Streaming (0x0107) is not current"),
            std::string::npos)
      << drive.output;
  EXPECT_EQ(drive.output.find("not ready"), std::string::npos) << drive.output;

  auto rec = d.cli({"record", source.file("src.ts"), "--drive", "tgt0", "--title", "file", "--bitrate", "2000000"});
  ASSERT_EQ(rec.exit_code, 0) << rec.output << d.log_text();
  EXPECT_NE(rec.output.find("STOPPED"), std::string::npos) << rec.output;
  EXPECT_NE(rec.output.find("written without the Streaming bit"), std::string::npos) << rec.output;

  v1::Recording live;
  ASSERT_TRUE(start_recording(d, "drives/tgt0", "udp://127.0.0.1:23471", 2'000'000, &live, "live").ok());
  EXPECT_TRUE(live.write_mode().chosen());
  EXPECT_FALSE(live.write_mode().streaming());
  {
    Process send({"ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", source.file("src.ts"), "-c", "copy",
                  "-f", "mpegts", "udp://127.0.0.1:23471?pkt_size=1316"});
    EXPECT_EQ(send.wait(std::chrono::seconds(60)), 0);
  }
  v1::Recording stopped;
  auto s = stop_recording(d, live.name(), &stopped);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(stopped.state(), v1::RECORDING_STATE_STOPPED) << stopped.DebugString();
  EXPECT_EQ(stopped.stats().shed_bytes(), 0u);
  EXPECT_EQ(stopped.stats().lost_bytes(), 0u);
  EXPECT_EQ(stopped.stats().missed_deadlines(), 0u);
  const auto listed = list_recordings(d, "drives/tgt0");
  ASSERT_EQ(listed.recordings_size(), 2);
  for (const auto& r : listed.recordings())
    EXPECT_EQ(r.stats().lost_bytes(), 0u) << r.DebugString();

  auto fin = d.cli({"finalize", "tgt0", "--label", "TGTPLAIN"});
  ASSERT_EQ(fin.exit_code, 0) << fin.output << d.log_text();
  auto ver = d.cli({"verify", "tgt0"});
  ASSERT_EQ(ver.exit_code, 0) << ver.output << d.log_text();
  EXPECT_NE(ver.output.find(" 0 mismatch"), std::string::npos) << ver.output;
  // The log says it, for whoever reads the journal and not the API.
  EXPECT_NE(d.log_text().find("writing in plain mode"), std::string::npos);

  // tgt's backing file, read by tools that share no code with discrec.
  ASSERT_TRUE(std::filesystem::exists(image)) << image;
  if (have_program("udfinfo")) {
    auto info = run_command({"udfinfo", image});
    EXPECT_EQ(info.exit_code, 0) << info.output;
    EXPECT_NE(info.output.find("TGTPLAIN"), std::string::npos) << info.output;
  }
#ifdef UDFREAD_CHECK
  auto listing = run_command({UDFREAD_CHECK, image});
  EXPECT_EQ(listing.exit_code, 0) << listing.output;
  EXPECT_NE(listing.output.find("file"), std::string::npos) << listing.output;
  EXPECT_NE(listing.output.find("live"), std::string::npos) << listing.output;
#endif
  TempDir out;
  auto files = extract_with_7z(image, out.path());
  ASSERT_EQ(files.size(), 2u);
  for (const auto& f : files) {
    const int frames = count_video_frames(f);
    if (f.find("file") != std::string::npos) {
      EXPECT_EQ(frames, source_frames) << f;  // a file: every frame
    } else {
      EXPECT_GE(frames, source_frames * 9 / 10) << f;  // loopback UDP started after the listener
      EXPECT_LE(frames, source_frames) << f;
    }
  }
}

}  // namespace
}  // namespace discrec::test
