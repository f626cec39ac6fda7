// Ingest in simulated time on an in-process synthesized stream: deterministic
// and quick, so it runs with the unit tests (and under ASan).
#include <gtest/gtest.h>

#include <filesystem>

#include "recorder/ingest/ingest.h"
#include "tests/recorder/ingest/ingest_test_support.h"
#include "tests/recorder/ingest/stream_synth.h"

namespace discrec::recorder::ingest {
namespace {

using namespace std::chrono_literals;
using namespace testing;

class IngestSimClockTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = make_temp_dir("synth");
    ASSERT_EQ(synthesize_ts((dir_ / "a.ts").string(), SynthSpec{}), "");
  }
  static std::string path() { return (dir_ / "a.ts").string(); }
  static inline std::filesystem::path dir_;
};

TEST_F(IngestSimClockTest, RemuxKeepsEveryFrameAndMarksEveryKeyFrame) {
  SimulatedClock clock;
  RecordingSink sink;
  IngestOptions o;
  o.url = path();
  Ingest ing(o, sink, clock);
  Status s = ing.run();
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  IngestStats st = ing.stats();
  MediaProbe in = probe_media(path());
  ASSERT_TRUE(in.ok);
  const size_t keys = in.streams.at(0).key_packets;  // I-frames the encoder chose
  EXPECT_GE(keys, 5u);
  EXPECT_EQ(st.video_frames, 50u);
  EXPECT_EQ(st.key_frames, keys);
  EXPECT_EQ(st.gop_starts, keys);
  EXPECT_EQ(sink.gop_packet_indices().size(), keys);
  EXPECT_TRUE(sink.all_calls_whole_packets());
  TsCheck ts = check_ts(sink.bytes(), 0x100);
  EXPECT_TRUE(ts.sync_ok);
  EXPECT_EQ(ts.cc_errors, 0u);
  EXPECT_EQ(ts.random_access_indices, sink.gop_packet_indices());
  auto out = dir_ / "out.ts";
  write_file(out, sink.bytes());
  MediaProbe got = probe_media(out.string(), true);
  ASSERT_TRUE(got.ok);
  ASSERT_EQ(got.streams.size(), 2u);
  EXPECT_EQ(got.streams[0].codec, "mpeg2video");
  EXPECT_EQ(got.streams[1].codec, "mp2");
  EXPECT_EQ(got.streams[0].packets, in.streams[0].packets);
  EXPECT_EQ(got.streams[1].packets, in.streams[1].packets);
  EXPECT_EQ(got.streams[0].decoded_frames, 50u);
  EXPECT_EQ(ts.random_access_pts, got.streams[0].key_pts_90k);
  EXPECT_EQ(clock.now(), TimePoint{});  // as fast as it reads: no waiting
  EXPECT_STREQ(ingest_state_name(ing.stats().state), "finished");
}

TEST_F(IngestSimClockTest, RealtimePacingFollowsTheStreamClock) {
  SimulatedClock clock;
  RecordingSink sink;
  IngestOptions o;
  o.url = path();
  o.realtime = true;
  Ingest ing(o, sink, clock);
  ASSERT_TRUE(ing.run().ok());
  // 50 frames at 25 fps: the last packet is due ~1.96 s after the first
  // (audio may run a frame past the video).
  Nanos took = clock.now() - TimePoint{};
  EXPECT_GE(took, 1900ms);
  EXPECT_LE(took, 2100ms);
  EXPECT_EQ(ing.stats().video_frames, 50u);
}

TEST_F(IngestSimClockTest, StopBeforeRunAbortsWithoutOutput) {
  SimulatedClock clock;
  RecordingSink sink;
  IngestOptions o;
  o.url = path();
  Ingest ing(o, sink, clock);
  ing.stop();
  Status s = ing.run();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kAborted);
}

TEST_F(IngestSimClockTest, VideoOnlyStreamAndTinyGop) {
  SimulatedClock clock;
  RecordingSink sink;
  auto p = dir_ / "intra.ts";
  ASSERT_EQ(synthesize_ts(p.string(), SynthSpec{.frames = 20, .gop = 1, .audio = false}), "");
  IngestOptions o;
  o.url = p.string();
  Ingest ing(o, sink, clock);
  ASSERT_TRUE(ing.run().ok());
  EXPECT_EQ(ing.stats().video_frames, 20u);
  EXPECT_EQ(ing.stats().key_frames, 20u);
  EXPECT_EQ(sink.gop_packet_indices().size(), 20u);
  EXPECT_EQ(check_ts(sink.bytes(), 0x100).random_access_indices, sink.gop_packet_indices());
}

// A source that opens and ends at once (an HTTP server answering with a
// tiny body) is reopened ever more slowly: the backoff does not start over
// because an open succeeded. N reconnects take at least the sum of the
// first N backoffs.
TEST_F(IngestSimClockTest, QuickLossesBackOffExponentially) {
  constexpr int kReconnects = 6;
  class StopAfterGaps : public RecordingSink {
   public:
    void source_gap(TimePoint start, Nanos duration) override {
      RecordingSink::source_gap(start, duration);
      if (++gaps == kReconnects) ingest->stop();
    }
    Ingest* ingest = nullptr;
    int gaps = 0;
  };
  SimulatedClock clock;
  StopAfterGaps sink;
  IngestOptions o;
  o.url = path();  // each open reads the whole file and ends
  o.reconnect.mode = ReconnectPolicy::Mode::kAlways;
  o.reconnect.initial_backoff = 100ms;
  o.reconnect.max_backoff = 1h;
  Ingest ing(o, sink, clock);
  sink.ingest = &ing;
  Status s = ing.run();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kAborted) << s.error().to_string();
  EXPECT_EQ(ing.stats().reconnects, static_cast<uint64_t>(kReconnects));
  Nanos backoffs{0};
  for (int i = 0; i < kReconnects; ++i) backoffs += o.reconnect.initial_backoff * (1 << i);
  EXPECT_GE(clock.now() - TimePoint{}, backoffs);  // 6.3 s; restarting each time would be 0.6 s
}

}  // namespace
}  // namespace discrec::recorder::ingest
