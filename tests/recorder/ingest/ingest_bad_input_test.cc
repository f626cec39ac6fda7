// Bad input: every case ends in a clear error or a clean recording, never a
// crash or a hang, and what was already delivered stays delivered.
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <thread>

#include "tests/recorder/ingest/test_streams.h"

namespace discrec::recorder::ingest {
namespace {

using namespace std::chrono_literals;
using namespace testing;

std::filesystem::path scratch() {
  static std::filesystem::path dir = make_temp_dir("bad");
  return dir;
}

IngestOptions opts(const std::string& url) {
  IngestOptions o;
  o.url = url;
  o.open_timeout = 2s;
  o.read_timeout = 2s;
  return o;
}

TEST(IngestBadInputTest, MissingFileIsNotFound) {
  IngestRun run = ingest(opts((scratch() / "nope.ts").string()));
  ASSERT_FALSE(run.status.ok());
  EXPECT_EQ(run.status.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(run.status.error().message().find("nope.ts"), std::string::npos);
  EXPECT_EQ(run.stats.state, IngestStats::State::kFailed);
}

TEST(IngestBadInputTest, BadUrlIsInvalidArgumentBeforeOpening) {
  IngestRun run = ingest(opts("ftp://example.com/x.ts"));
  ASSERT_FALSE(run.status.ok());
  EXPECT_EQ(run.status.error().code(), ErrorCode::kInvalidArgument);
}

TEST(IngestBadInputTest, RtspServerNotThereIsUnavailableNamingTheCause) {
  int port = free_port(false);
  IngestRun run = ingest(opts("rtsp://127.0.0.1:" + std::to_string(port) + "/cam"));
  ASSERT_FALSE(run.status.ok());
  EXPECT_EQ(run.status.error().code(), ErrorCode::kUnavailable) << run.status.error().to_string();
  EXPECT_NE(run.status.error().message().find("Connection refused"), std::string::npos)
      << run.status.error().message();
}

TEST(IngestBadInputTest, SilentUdpSourceTimesOutOnOpen) {
  int port = free_port(true);
  IngestOptions o = opts("udp://127.0.0.1:" + std::to_string(port));
  o.open_timeout = 300ms;
  auto t0 = std::chrono::steady_clock::now();
  IngestRun run = ingest(o);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  ASSERT_FALSE(run.status.ok());
  EXPECT_EQ(run.status.error().code(), ErrorCode::kTimeout) << run.status.error().to_string();
  EXPECT_NE(run.status.error().message().find("300 ms"), std::string::npos) << run.status.error().message();
}

TEST(IngestBadInputTest, GarbageBytesAreNotAStream) {
  std::mt19937 rng(1);
  std::vector<uint8_t> junk(256 * 1024);
  for (auto& b : junk) b = static_cast<uint8_t>(rng());
  auto path = scratch() / "garbage.ts";
  write_file(path, junk);
  IngestRun run = ingest(opts(path.string()));
  ASSERT_FALSE(run.status.ok());
  EXPECT_EQ(run.status.error().code(), ErrorCode::kInvalidArgument) << run.status.error().to_string();
  EXPECT_NE(run.status.error().message().find("garbage.ts"), std::string::npos);
  EXPECT_TRUE(run.ts.empty());
}

TEST(IngestBadInputTest, Vp9CannotGoInMpegTsAndTheErrorSaysSo) {
  std::string in = test_stream("vp9.webm");
  ASSERT_FALSE(in.empty());
  IngestRun run = ingest(opts(in));
  ASSERT_FALSE(run.status.ok());
  EXPECT_EQ(run.status.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(run.status.error().message().find("vp9"), std::string::npos) << run.status.error().message();
  EXPECT_NE(run.status.error().message().find("MPEG-TS"), std::string::npos);
}

TEST(IngestBadInputTest, TruncatedFileRecordsWhatIsThere) {
  std::string in = test_stream("h264_aac.ts");
  ASSERT_FALSE(in.empty());
  std::vector<uint8_t> bytes = read_file(in);
  bytes.resize(bytes.size() / 2 + 77);  // mid-packet
  auto path = scratch() / "truncated.ts";
  write_file(path, bytes);
  IngestRun run = ingest(opts(path.string()));
  ASSERT_TRUE(run.status.ok()) << run.status.error().to_string();
  EXPECT_GT(run.stats.video_frames, 20u);
  EXPECT_LT(run.stats.video_frames, 75u);
  // Everything recorded is a valid, decodable recording with exact GOP marks.
  EXPECT_EQ(compare_with_input(path.string(), run), "");
}

TEST(IngestBadInputTest, ResolutionChangeMidStreamIsRecordedThrough) {
  std::string a = test_stream("h264_aac.ts"), b = test_stream("small_640.ts");
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  std::vector<uint8_t> bytes = read_file(a), more = read_file(b);
  bytes.insert(bytes.end(), more.begin(), more.end());  // 320x240 then 640x360, clocks restart
  auto path = scratch() / "resolution_change.ts";
  write_file(path, bytes);
  IngestRun run = ingest(opts(path.string()));
  ASSERT_TRUE(run.status.ok()) << run.status.error().to_string();
  EXPECT_EQ(run.stats.video_frames, 125u);  // 75 + 50
  EXPECT_EQ(run.stats.key_frames, 7u + 5u);
  EXPECT_GE(run.stats.discontinuities, 1u);  // the second clip's clock restarted
  auto out = scratch() / "resolution_change_out.ts";
  write_file(out, run.ts);
  MediaProbe got = probe_media(out.string(), true);
  const StreamProbe* v = got.first("video");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->packets, 125u);
  EXPECT_TRUE(v->dts_monotonic);
  EXPECT_EQ(v->decode_errors, 0u);
  EXPECT_EQ(v->sizes, (std::vector<std::pair<int, int>>{{320, 240}, {640, 360}}));
  TsCheck ts = check_ts(run.ts, 0x100);
  EXPECT_EQ(ts.cc_errors, 0u);
  EXPECT_EQ(ts.random_access_indices, run.gops);
  EXPECT_EQ(run.gops.size(), 12u);
}

TEST(IngestBadInputTest, StreamWithoutKeyFramesIsAClearError) {
  std::string in = test_stream("h264_aac.ts");
  ASSERT_FALSE(in.empty());
  // Drop every IDR slice: the video keeps flowing but never has a key frame.
  auto path = scratch() / "no_keyframes.ts";
  ASSERT_EQ(run_ffmpeg({"-i", in, "-map", "0", "-c", "copy", "-bsf:v", "filter_units=remove_types=5", "-f",
                        "mpegts", "-y", path.string()}),
            0);
  IngestOptions o = opts(path.string());
  o.max_wait_for_key_frame = 1s;
  IngestRun run = ingest(o);
  ASSERT_FALSE(run.status.ok());
  EXPECT_EQ(run.status.error().code(), ErrorCode::kDataLoss);
  EXPECT_NE(run.status.error().message().find("key frame"), std::string::npos) << run.status.error().message();
  EXPECT_EQ(run.stats.video_frames, 0u);
  EXPECT_TRUE(run.ts.size() % 188 == 0);
}

TEST(IngestBadInputTest, SinkFullStopsIngestWithTheSinksError) {
  std::string in = test_stream("h264_aac.ts");
  ASSERT_FALSE(in.empty());
  RecordingSink sink;
  sink.fail_after_packets(500);
  Ingest ing(opts(in), sink, SteadyClock::instance());
  Status s = ing.run();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kResourceExhausted);
  EXPECT_LE(sink.bytes_size(), 500u * 188);
  EXPECT_GT(sink.bytes_size(), 0u);
}

TEST(IngestBadInputTest, StopWhilePipeIsSilentReturnsPromptly) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  IngestOptions o = opts("silent pipe");
  o.input_fd = fds[0];  // the Ingest closes it
  o.open_timeout = 60s;
  RecordingSink sink;
  Ingest ing(o, sink, SteadyClock::instance());
  Status s;
  std::thread t([&] { s = ing.run(); });
  std::this_thread::sleep_for(200ms);
  auto t0 = std::chrono::steady_clock::now();
  ing.stop();
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_EQ(s.error().code(), ErrorCode::kAborted);
  close(fds[1]);
}

TEST(IngestBadInputTest, SilentPipeTimesOutOnOpen) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  IngestOptions o = opts("silent pipe");
  o.input_fd = fds[0];  // the Ingest closes it
  o.open_timeout = 300ms;
  IngestRun run = ingest(o);
  ASSERT_FALSE(run.status.ok());
  EXPECT_EQ(run.status.error().code(), ErrorCode::kTimeout) << run.status.error().to_string();
  close(fds[1]);
}

// Fuzz-style: mutated copies of a real TS (bit flips, zeroed runs, dropped and
// duplicated chunks) for a bounded time. Each run must end (no hang), and
// whatever it recorded must be whole, in-sync TS packets.
TEST(IngestBadInputTest, MutatedTsNeverCrashesOrHangs) {
  std::string in = test_stream("h264_aac.ts");
  ASSERT_FALSE(in.empty());
  const std::vector<uint8_t> clean = read_file(in);
  std::mt19937_64 rng(0xd15c);
  auto deadline = std::chrono::steady_clock::now() + 8s;
  int runs = 0, ok = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    std::vector<uint8_t> m = clean;
    int edits = 1 + static_cast<int>(rng() % 64);
    for (int e = 0; e < edits && !m.empty(); ++e) {
      size_t at = rng() % m.size();
      switch (rng() % 5) {
        case 0: m[at] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
        case 1: std::fill_n(m.begin() + at, std::min<size_t>(m.size() - at, rng() % 4096), 0); break;
        case 2: m.erase(m.begin() + at, m.begin() + at + std::min<size_t>(m.size() - at, rng() % 3000)); break;
        case 3: {
          size_t n = std::min<size_t>(m.size() - at, rng() % 2000);
          std::vector<uint8_t> dup(m.begin() + at, m.begin() + at + n);
          m.insert(m.begin() + (rng() % m.size()), dup.begin(), dup.end());
          break;
        }
        default: m[at] = static_cast<uint8_t>(rng()); break;
      }
    }
    auto path = scratch() / "mutated.ts";
    write_file(path, m);
    auto t0 = std::chrono::steady_clock::now();
    IngestRun run = ingest(opts(path.string()));
    ++runs;
    if (run.status.ok()) ++ok;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
    EXPECT_EQ(run.ts.size() % 188, 0u);
    TsCheck ts = check_ts(run.ts, 0x100);
    EXPECT_TRUE(ts.sync_ok) << "run " << runs;
    if (!run.status.ok()) {
      EXPECT_FALSE(run.status.error().message().empty());
    }
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GE(runs, 10);
  RecordProperty("runs", runs);
  RecordProperty("clean_recordings", ok);
}

}  // namespace
}  // namespace discrec::recorder::ingest
