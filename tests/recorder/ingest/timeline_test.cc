#include "recorder/ingest/timeline.h"

#include <gtest/gtest.h>

namespace discrec::recorder::ingest {
namespace {

constexpr int64_t kFrame = 3600;  // 25 fps in 90 kHz

struct Mapped {
  bool ok;
  int64_t dts, pts;
};
Mapped map(Timeline& t, size_t s, int64_t dts, int64_t pts, bool continuous = true) {
  bool ok = t.map(s, continuous, dts, pts, kFrame);
  return {ok, dts, pts};
}

TEST(TimelineTest, KeepsSpacingAndStartsAfterMargin) {
  Timeline t(2);
  auto a = map(t, 0, 1000000, 1003600);
  auto b = map(t, 0, 1000000 + kFrame, 1000000 + 2 * kFrame);
  auto c = map(t, 1, 999000, 999000);  // other stream slightly earlier: still fits
  ASSERT_TRUE(a.ok && b.ok && c.ok);
  EXPECT_EQ(a.dts, Timeline::kRebaseMargin);
  EXPECT_EQ(a.pts - a.dts, 3600);
  EXPECT_EQ(b.dts - a.dts, kFrame);
  EXPECT_EQ(c.dts, a.dts - 1000);
  EXPECT_EQ(t.discontinuities(), 0u);
}

TEST(TimelineTest, NewSegmentContinuesAfterPreviousEnd) {
  Timeline t(1);
  int64_t last = 0;
  for (int i = 0; i < 10; ++i) last = map(t, 0, 500000 + i * kFrame, Timeline::kNoTs).dts;
  t.start_segment();
  auto first = map(t, 0, 126000, 126000);  // a restarted encoder
  ASSERT_TRUE(first.ok);
  EXPECT_EQ(first.dts, last + kFrame + Timeline::kRebaseMargin);
  EXPECT_EQ(t.discontinuities(), 1u);
}

TEST(TimelineTest, BackwardJumpInsideSegmentRebases) {
  Timeline t(1);
  int64_t last = 0;
  for (int i = 0; i < 100; ++i) last = map(t, 0, 900000 + i * kFrame, Timeline::kNoTs).dts;
  auto j = map(t, 0, 126000, Timeline::kNoTs);  // concatenated clip restarts at 1.4 s
  ASSERT_TRUE(j.ok);
  EXPECT_GT(j.dts, last);
  EXPECT_EQ(t.discontinuities(), 1u);
  auto k = map(t, 0, 126000 + kFrame, Timeline::kNoTs);
  EXPECT_EQ(k.dts - j.dts, kFrame);
}

TEST(TimelineTest, SmallBackwardStepIsDropped) {
  Timeline t(1);
  auto a = map(t, 0, 90000, 90000);
  auto b = map(t, 0, 90000 - 100, 90000);
  auto c = map(t, 0, 90000, 90000);  // equal DTS is not increasing
  EXPECT_TRUE(a.ok);
  EXPECT_FALSE(b.ok);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(t.discontinuities(), 0u);
}

TEST(TimelineTest, ForwardJumpRebasesOnlyContinuousStreams) {
  Timeline t(2);
  map(t, 0, 0, 0);
  map(t, 1, 0, 0, false);
  auto sub = map(t, 1, 60 * 90000, 60 * 90000, false);  // a subtitle a minute later: fine
  EXPECT_TRUE(sub.ok);
  EXPECT_EQ(t.discontinuities(), 0u);
  auto v = map(t, 0, 120 * 90000, 120 * 90000);  // video jumps two minutes: rebased
  EXPECT_TRUE(v.ok);
  EXPECT_EQ(t.discontinuities(), 1u);
  EXPECT_LT(v.dts, 62 * 90000 + Timeline::kRebaseMargin + kFrame);
}

TEST(TimelineTest, UnstampedPacketIsDroppedAndPtsNeverBeforeDts) {
  Timeline t(1);
  int64_t dts = Timeline::kNoTs, pts = Timeline::kNoTs;
  EXPECT_FALSE(t.map(0, true, dts, pts, 0));
  dts = 1000, pts = 500;
  ASSERT_TRUE(t.map(0, true, dts, pts, 0));
  EXPECT_GE(pts, dts);
  EXPECT_FALSE(t.map(5, true, dts, pts, 0));  // unknown stream
}

}  // namespace
}  // namespace discrec::recorder::ingest
