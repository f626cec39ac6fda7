// Ingest of ffmpeg-generated files and pipes: the recorded MPEG-TS must carry
// the same frames, key frames and streams, with GOP marks at the key frames.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "tests/recorder/ingest/test_streams.h"

namespace discrec::recorder::ingest {
namespace {

using namespace testing;

IngestOptions file_options(const std::string& path) {
  IngestOptions o;
  o.url = path;
  return o;
}

TEST(IngestFileTest, H264AacTsIsCopiedFrameForFrame) {
  std::string in = test_stream("h264_aac.ts");
  ASSERT_FALSE(in.empty());
  IngestRun run = ingest(file_options(in));
  ASSERT_TRUE(run.status.ok()) << run.status.error().to_string();
  EXPECT_EQ(compare_with_input(in, run), "");
  EXPECT_EQ(run.stats.key_frames, 7u);  // 75 frames, GOP 12
  EXPECT_EQ(run.stats.video_frames, 75u);
  ASSERT_EQ(run.stats.streams.size(), 2u);
  EXPECT_EQ(run.stats.streams[0].codec, "h264");
  EXPECT_EQ(run.stats.streams[0].width, 320);
  EXPECT_EQ(run.stats.streams[1].codec, "aac");
  EXPECT_EQ(run.stats.state, IngestStats::State::kFinished);
  EXPECT_EQ(run.stats.reconnects, 0u);
}

TEST(IngestFileTest, HevcAc3TsIsCopied) {
  std::string in = test_stream("hevc_ac3.ts");
  ASSERT_FALSE(in.empty());
  IngestRun run = ingest(file_options(in));
  ASSERT_TRUE(run.status.ok()) << run.status.error().to_string();
  EXPECT_EQ(compare_with_input(in, run), "");
  EXPECT_EQ(run.stats.streams.at(0).codec, "hevc");
  EXPECT_EQ(run.stats.streams.at(1).codec, "ac3");
}

TEST(IngestFileTest, Mpeg2WithThreeAudioTracksCarriesEveryTrack) {
  std::string in = test_stream("mpeg2_multi.ts");
  ASSERT_FALSE(in.empty());
  IngestRun run = ingest(file_options(in));
  ASSERT_TRUE(run.status.ok()) << run.status.error().to_string();
  EXPECT_EQ(compare_with_input(in, run), "");
  ASSERT_EQ(run.stats.streams.size(), 4u);
  EXPECT_EQ(run.stats.streams[0].codec, "mpeg2video");
  EXPECT_EQ(run.stats.streams[1].codec, "mp2");
  EXPECT_EQ(run.stats.streams[2].codec, "aac");
  EXPECT_EQ(run.stats.streams[3].codec, "ac3");
}

TEST(IngestFileTest, Mp4SourceIsRemuxedAndTextSubtitleIsSkippedByName) {
  std::string in = test_stream("h264_subs.mp4");
  ASSERT_FALSE(in.empty());
  IngestRun run = ingest(file_options(in));
  ASSERT_TRUE(run.status.ok()) << run.status.error().to_string();
  EXPECT_EQ(compare_with_input(in, run), "");
  ASSERT_EQ(run.stats.skipped_streams.size(), 1u);
  EXPECT_NE(run.stats.skipped_streams[0].find("mov_text"), std::string::npos) << run.stats.skipped_streams[0];
}

TEST(IngestFileTest, AudioOnlySourceGetsThinnedMarks) {
  std::filesystem::path path = std::filesystem::path(test_stream("h264_aac.ts")).parent_path() / "radio.ts";
  ASSERT_EQ(run_ffmpeg({"-f", "lavfi", "-i", "sine=sample_rate=48000", "-t", "3", "-c:a", "mp2", "-f", "mpegts", "-y",
                        path.string()}),
            0);
  IngestRun run = ingest(file_options(path.string()));
  ASSERT_TRUE(run.status.ok()) << run.status.error().to_string();
  ASSERT_EQ(run.stats.streams.size(), 1u);
  EXPECT_EQ(run.stats.streams[0].codec, "mp2");
  TsCheck ts = check_ts(run.ts, 0x100);
  EXPECT_EQ(ts.cc_errors, 0u);
  // Every audio PES is random-access; marks fall on some of them, >= 0.5 s apart.
  ASSERT_GE(run.gops.size(), 4u);
  EXPECT_LE(run.gops.size(), 7u);
  for (size_t g : run.gops) {
    EXPECT_NE(std::find(ts.random_access_indices.begin(), ts.random_access_indices.end(), g),
              ts.random_access_indices.end());
  }
}

TEST(IngestFileTest, PipeSourceIsReadToTheEnd) {
  std::string in = test_stream("h264_aac.ts");
  ASSERT_FALSE(in.empty());
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::vector<uint8_t> bytes = read_file(in);
  std::thread writer([&] {
    // Small writes with pauses: the reader sees a live-like trickle.
    for (size_t off = 0; off < bytes.size();) {
      size_t n = std::min<size_t>(bytes.size() - off, 32 * 1024);
      ssize_t w = write(fds[1], bytes.data() + off, n);
      if (w <= 0) break;
      off += static_cast<size_t>(w);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    close(fds[1]);
  });
  IngestOptions o;
  o.url = "test pipe";
  o.input_fd = fds[0];  // the Ingest closes it
  IngestRun run = ingest(o);
  writer.join();
  ASSERT_TRUE(run.status.ok()) << run.status.error().to_string();
  EXPECT_EQ(compare_with_input(in, run), "");
}

TEST(IngestFileTest, RealtimePacingTakesStreamTime) {
  std::string in = test_stream("hevc_ac3.ts");  // 2 s
  ASSERT_FALSE(in.empty());
  IngestOptions o = file_options(in);
  o.realtime = true;
  auto t0 = std::chrono::steady_clock::now();
  IngestRun run = ingest(o);
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(run.status.ok()) << run.status.error().to_string();
  EXPECT_GT(took, std::chrono::milliseconds(1500));
  EXPECT_LT(took, std::chrono::milliseconds(6000));
  EXPECT_EQ(compare_with_input(in, run), "");
}

}  // namespace
}  // namespace discrec::recorder::ingest
